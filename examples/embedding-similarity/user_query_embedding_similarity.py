"""Cosine similarity between the embedding of a user's query, sent with the request,
and the user's precomputed embedding from the feature store (-1 when the user has none).
Columns mode: each argument is a dict of columns. The body follows Tecton's ads sample."""
from vial import Array, Field, Float32, Float64, Optional, transformation


@transformation(
    inputs={
        "request": [Field("query_embedding", Array(Float32))],
        "user_embedding": [Field("user_embedding", Optional(Array(Float32)))],
    },
    outputs=[Field("cosine_similarity", Float64)],
    mode="columns",
)
def user_query_embedding_similarity(request, user_embedding):
    import numpy as np
    from numpy.linalg import norm

    def cosine_similarity(a, b):
        # Handle the case where there is no precomputed user embedding.
        if a is None or b is None:
            return -1.0

        return np.dot(a, b) / (norm(a) * norm(b))

    return {
        "cosine_similarity": [
            float(cosine_similarity(user, query))
            for user, query in zip(user_embedding["user_embedding"], request["query_embedding"])
        ]
    }
