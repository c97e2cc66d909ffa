#pragma once
// Builders for raw green/yellow taxi rows in the published column layouts, shared by the feature
// and the aml-transform tests so that every test states only the values it cares about.

#include <string>
#include <string_view>

namespace amlops::test {

/// The values a raw trip row carries that the transform reads; the rest are fixed fillers.
struct raw_trip {
    std::string vendor = "2";
    std::string pickup = "2016-01-03 21:02:35";
    std::string dropoff = "2016-01-03 21:05:52";
    std::string passengers = "1";
    std::string distance = "0.83";
    std::string pickup_lon = "-73.98726654052734";
    std::string pickup_lat = "40.6938362121582";
    std::string dropoff_lon = "-73.97611236572266";
    std::string dropoff_lat = "40.69454574584961";
    std::string store_forward = "N";
    std::string fare = "4.5";
};

/// Header of the published green file (23 columns).
inline const std::string green_header =
    "vendorID,lpepPickupDatetime,lpepDropoffDatetime,passengerCount,tripDistance,puLocationId,doLocationId,"
    "pickupLongitude,pickupLatitude,dropoffLongitude,dropoffLatitude,rateCodeID,storeAndFwdFlag,paymentType,"
    "fareAmount,extra,mtaTax,improvementSurcharge,tipAmount,tollsAmount,ehailFee,totalAmount,tripType";

/// Header of the published yellow file (21 columns).
inline const std::string yellow_header =
    "vendorID,tpepPickupDateTime,tpepDropoffDateTime,passengerCount,tripDistance,puLocationId,doLocationId,"
    "startLon,startLat,endLon,endLat,rateCodeId,storeAndFwdFlag,paymentType,fareAmount,extra,mtaTax,"
    "improvementSurcharge,tipAmount,tollsAmount,totalAmount";

/// Header of already-merged data (the prep step's column names).
inline const std::string merged_header =
    "vendor,pickup_datetime,dropoff_datetime,store_forward,pickup_longitude,pickup_latitude,dropoff_longitude,"
    "dropoff_latitude,passengers,cost,distance";

/// One green data line (no terminator).
inline std::string green_row(const raw_trip& t) {
    return t.vendor + "," + t.pickup + "," + t.dropoff + "," + t.passengers + "," + t.distance + ",,," + t.pickup_lon +
           "," + t.pickup_lat + "," + t.dropoff_lon + "," + t.dropoff_lat + ",1," + t.store_forward + ",1," + t.fare +
           ",0.5,0.5,0.3,0.0,0.0,,5.8,1.0";
}

/// One yellow data line (no terminator).
inline std::string yellow_row(const raw_trip& t) {
    return t.vendor + "," + t.pickup + "," + t.dropoff + "," + t.passengers + "," + t.distance + ",,," + t.pickup_lon +
           "," + t.pickup_lat + "," + t.dropoff_lon + "," + t.dropoff_lat + ",1," + t.store_forward + ",2," + t.fare +
           ",1.0,0.5,0.3,0.0,0.0,10.3";
}

/// `header` with column `from` renamed to `to` (built with append(): GCC 12 reports a false
/// -Wrestrict for std::string::replace with a longer replacement).
inline std::string rename_column(const std::string& header, std::string_view from, std::string_view to) {
    std::size_t at = header.find(from);
    std::string out;
    out.append(header, 0, at).append(to).append(header, at + from.size(), std::string::npos);
    return out;
}

/// The header line aml-transform writes for train.csv/test.csv.
inline const std::string feature_header =
    "distance,dropoff_latitude,dropoff_longitude,passengers,pickup_latitude,pickup_longitude,store_forward,vendor,"
    "pickup_weekday,pickup_month,pickup_monthday,pickup_hour,pickup_minute,pickup_second,dropoff_weekday,"
    "dropoff_month,dropoff_monthday,dropoff_hour,dropoff_minute,dropoff_second,cost";

}  // namespace amlops::test
