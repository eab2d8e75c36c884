"""How far a transaction is from the user's home, in km: the request carries where
the card was used, the feature store the user's home. The body is a realtime feature
view's as Tecton's fraud sample writes it; only the declaration is vial's."""
from vial import Field, Float64, transformation

LOCATION = [Field("lat", Float64), Field("long", Float64)]


@transformation(
    inputs={"request": LOCATION, "user_home": LOCATION},
    outputs=[Field("dist_km", Float64)],
)
def transaction_distance_from_home(request, user_home):
    from math import sin, cos, sqrt, atan2, radians

    user_lat = radians(user_home["lat"])
    user_long = radians(user_home["long"])
    transaction_lat = radians(request["lat"])
    transaction_long = radians(request["long"])

    # approximate radius of earth in km
    R = 6373.0

    dlon = transaction_long - user_long
    dlat = transaction_lat - user_lat

    a = sin(dlat / 2) ** 2 + cos(user_lat) * cos(transaction_lat) * sin(dlon / 2) ** 2
    c = 2 * atan2(sqrt(a), sqrt(1 - a))

    distance = R * c
    return {"dist_km": distance}
