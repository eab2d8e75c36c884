"""A transaction's amount against the user's recent spending: the request carries the
transaction, the feature store the user's 30-day figures (float32 and int32, as Feast
serves them, and when the user last paid). Columns mode is Feast's python mode: each
argument is a dict of columns, one value per row, and the function returns one."""
from vial import Bool, Field, Float32, Float64, Int32, Optional, Timestamp, transformation


@transformation(
    inputs={
        "transaction": [Field("amount", Float64), Field("transaction_ts", Timestamp)],
        "user_stats": [
            Field("avg_amount_30d", Float32),
            Field("txn_count_30d", Int32),
            Field("last_txn_ts", Optional(Timestamp)),
        ],
    },
    outputs=[
        Field("amount_to_avg_ratio", Float32),
        Field("amount_above_avg", Bool),
        Field("seconds_since_last_txn", Optional(Float64)),
        Field("is_first_txn_30d", Bool),
    ],
    mode="columns",
)
def transaction_amount_vs_average(transaction, user_stats):
    output = {
        "amount_to_avg_ratio": [
            amount / avg_amount if avg_amount > 0 else 0.0
            for amount, avg_amount in zip(transaction["amount"], user_stats["avg_amount_30d"])
        ],
        "amount_above_avg": [
            amount > avg_amount
            for amount, avg_amount in zip(transaction["amount"], user_stats["avg_amount_30d"])
        ],
        "seconds_since_last_txn": [
            (transaction_ts - last_txn_ts).total_seconds() if last_txn_ts is not None else None
            for transaction_ts, last_txn_ts in zip(transaction["transaction_ts"], user_stats["last_txn_ts"])
        ],
        "is_first_txn_30d": [txn_count == 0 for txn_count in user_stats["txn_count_30d"]],
    }
    return output
