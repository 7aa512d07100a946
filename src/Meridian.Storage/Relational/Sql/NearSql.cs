using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary><c>near</c>: a latitude/longitude bounding box of the distance (portable SQL, uses the
/// index); exact great-circle filtering can follow in a later rewriter.</summary>
internal sealed class NearSql : IPredicateSql
{
    private const double KmPerDegree = 111.32;

    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (NearPredicate)predicate;
        var dLat = (decimal)((double)p.DistanceKm / KmPerDegree);
        var cos = Math.Max(Math.Cos((double)p.Latitude * Math.PI / 180), 0.01);
        var dLon = (decimal)((double)p.DistanceKm / (KmPerDegree * cos));
        sql.Append($"{alias}.{c.Latitude} BETWEEN ").AppendParam(p.Latitude - dLat).Append(" AND ").AppendParam(p.Latitude + dLat)
           .Append($" AND {alias}.{c.Longitude} BETWEEN ").AppendParam(p.Longitude - dLon).Append(" AND ").AppendParam(p.Longitude + dLon);
    }
}
