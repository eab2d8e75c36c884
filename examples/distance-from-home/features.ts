import { transformation, t } from "@vial/guest";

const location = t.struct({ lat: t.float64, long: t.float64 });

/**
 * How far a transaction is from the user's home, in km: the request carries where the card was used, the
 * feature store the user's home (both in degrees). Haversine on a sphere of radius 6373 km.
 */
export const transaction_distance_from_home = transformation({
  inputs: { request: location, user_home: location },
  outputs: { dist_km: t.float64 },
  handler: ({ request, user_home }) => {
    const radians = (degrees: number) => (degrees * Math.PI) / 180;

    const userLat = radians(user_home.lat);
    const userLong = radians(user_home.long);
    const transactionLat = radians(request.lat);
    const transactionLong = radians(request.long);

    // approximate radius of earth in km
    const R = 6373.0;

    const dlon = transactionLong - userLong;
    const dlat = transactionLat - userLat;

    const a = Math.sin(dlat / 2) ** 2 + Math.cos(userLat) * Math.cos(transactionLat) * Math.sin(dlon / 2) ** 2;
    const c = 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));

    return { dist_km: R * c };
  },
});
