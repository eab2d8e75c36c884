"""Features with numpy: similarity of a row's embedding to a reference vector,
its norm, and spending statistics over the row's recent amounts."""
import numpy as np

from vial import Array, Field, Float64, Int64, transformation

# A reference embedding, e.g. the centroid of known-good sessions.
REFERENCE = np.array([0.12, -0.4, 0.33, 0.9, -0.05, 0.27, 0.61, -0.18])
LARGE = 100.0


@transformation(
    inputs=[Field("embedding", Array(Float64)), Field("amounts", Array(Float64))],
    outputs=[
        Field("similarity", Float64), Field("norm", Float64),
        Field("p90_amount", Float64), Field("median_amount", Float64),
        Field("large_count", Int64), Field("total_cents", Int64),
    ],
)
def embedding_features(row):
    v = np.array(row["embedding"], dtype=np.float64)
    amounts = np.array(row["amounts"], dtype=np.float64)
    norm = np.linalg.norm(v)
    return {
        "similarity": float(v @ REFERENCE / (norm * np.linalg.norm(REFERENCE))) if norm else 0.0,
        "norm": norm,
        "p90_amount": np.percentile(amounts, 90) if amounts.size else 0.0,
        "median_amount": np.median(amounts) if amounts.size else 0.0,
        "large_count": np.count_nonzero(amounts > LARGE),
        "total_cents": np.round(amounts * 100).astype(np.int64).sum(),
    }


@transformation(
    inputs=[Field("values", Array(Float64))],
    outputs=[Field("zscores", Array(Float64))],
    mode="batch",
)
def standardize(rows):
    """Each row's values as z-scores against the whole batch, column by column."""
    matrix = np.array([r["values"] for r in rows], dtype=np.float64)
    std = matrix.std(axis=0)
    z = (matrix - matrix.mean(axis=0)) / np.where(std == 0, 1.0, std)
    return [{"zscores": line} for line in z]
