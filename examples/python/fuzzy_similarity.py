"""Fuzzy string similarity against a fixed product name (uses fuzzywuzzy)."""
from vial import Field, Int64, String, transformation

TARGET = "Mocha Cheesecake Fudge Brownie Bars"


@transformation(
    inputs=[Field("text", String)],
    outputs=[Field("similarity", Int64), Field("partial_similarity", Int64)],
)
def fuzzy_similarity(request):
    from fuzzywuzzy import fuzz

    return {
        "similarity": fuzz.ratio(TARGET, request["text"]),
        "partial_similarity": fuzz.partial_ratio(TARGET, request["text"]),
    }
