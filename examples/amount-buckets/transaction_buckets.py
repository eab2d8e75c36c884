"""Buckets of a transaction's amount and hour, in pandas mode: a DataFrame of the batch
in, a DataFrame of features out, as Feast's and Tecton's pandas mode hand it over. The
body is what such a feature view holds; only the declaration is vial's."""
import pandas as pd

from vial import Bool, Field, Float64, Int32, String, Timestamp, transformation


@transformation(
    inputs=[Field("amount", Float64), Field("transaction_ts", Timestamp)],
    outputs=[
        Field("amount_bucket", String),
        Field("hour_of_day", Int32),
        Field("is_night", Bool),
        Field("is_weekend", Bool),
    ],
    mode="pandas",
)
def transaction_buckets(features_df: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame()
    df["amount_bucket"] = pd.cut(
        features_df["amount"],
        bins=[0, 10, 50, 200, 1000, float("inf")],
        labels=["under_10", "10_to_50", "50_to_200", "200_to_1000", "over_1000"],
        include_lowest=True,
    ).astype(str)
    df["hour_of_day"] = features_df["transaction_ts"].dt.hour
    df["is_night"] = (df["hour_of_day"] < 6) | (df["hour_of_day"] >= 22)
    df["is_weekend"] = features_df["transaction_ts"].dt.dayofweek >= 5
    return df
