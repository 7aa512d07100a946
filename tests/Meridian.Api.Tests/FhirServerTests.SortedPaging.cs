namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    private static string Sortable(string family, string? birthDate) =>
        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]" +
        (birthDate is null ? "" : ",\"birthDate\":\"" + birthDate + "\"") + "}";

    /// <summary>
    /// Sorted searches page by a keyset cursor over the sort values and the surrogate key: rows
    /// inserted before or after the position, and rows deleted, between page fetches neither
    /// repeat nor hide the resources that existed throughout (offset paging would do both).
    /// </summary>
    [Theory]
    [InlineData("family")]
    [InlineData("-family")]
    [InlineData("birthdate,family")]
    [InlineData("-birthdate,-family")]
    [InlineData("_id")]
    [InlineData("-_lastUpdated")]
    public async Task Sorted_search_pages_stay_stable_while_others_write(string sort)
    {
        var ids = new Dictionary<string, string>();
        for (var i = 0; i < 12; i++)
        {
            // Duplicate families and missing birth dates exercise ties and NULLS LAST.
            var family = "Keyset" + (char)('a' + (i / 2));
            var birth = i % 3 == 0 ? null : $"19{50 + i}-01-01";
            ids[(await Api.CreateAsync(Sortable(family, birth))).Id] = family;
        }
        var seen = new List<string>();
        var deleted = new HashSet<string>();
        string? url = $"Patient?family=Keyset&_sort={sort}&_count=4";
        for (var page = 0; url is not null && page < 20; page++)
        {
            var reply = await Api.GetAsync(url);
            Assert.Equal(200, reply.Code);
            var pageIds = Ids(reply.Json!);
            seen.AddRange(pageIds);
            url = NextLink(reply.Json!);
            if (page == 0)
            {
                // Others write between page fetches: inserts at both ends and in the middle,
                // a delete of a row already seen and of one not yet seen.
                await Api.CreateAsync(Sortable("Keyseta", "1900-01-01"));
                await Api.CreateAsync(Sortable("Keysetc", null));
                await Api.CreateAsync(Sortable("Keysetz", "2020-01-01"));
                var seenVictim = pageIds[0];
                var unseenVictim = ids.Keys.First(id => !pageIds.Contains(id));
                Assert.Equal(204, (await Api.DeleteAsync($"Patient/{seenVictim}")).Code);
                Assert.Equal(204, (await Api.DeleteAsync($"Patient/{unseenVictim}")).Code);
                deleted.Add(unseenVictim);
            }
        }
        Assert.Null(url);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        foreach (var id in ids.Keys.Where(id => !deleted.Contains(id)))
        {
            Assert.Contains(id, seen);
        }
        Assert.DoesNotContain(deleted.Single(), seen);
        // A cursor that is not one of ours is the client's error, not the server's.
        Assert.Equal(400, (await Api.GetAsync($"Patient?family=Keyset&_sort={sort}&_cursor=garbage")).Code);
    }

    [Fact]
    public async Task Sorted_search_orders_by_the_keys_across_pages()
    {
        foreach (var (family, birth) in new[] { ("Orderc", "1980-01-01"), ("Ordera", null), ("Orderb", "1970-01-01"), ("Ordera", "1990-01-01"), ("Orderd", null) })
        {
            await Api.CreateAsync(Sortable(family, birth));
        }
        async Task<List<string>> Families(string sort)
        {
            var result = new List<string>();
            string? url = $"Patient?family=Order&_sort={sort}&_count=2";
            for (var page = 0; url is not null && page < 10; page++)
            {
                var reply = (await Api.GetAsync(url)).Json!;
                result.AddRange((reply["entry"]?.AsArray() ?? []).Select(e => e!["resource"]!["name"]![0]!["family"]!.GetValue<string>() + "/" + (e!["resource"]!["birthDate"]?.GetValue<string>() ?? "-")));
                url = NextLink(reply);
            }
            return result;
        }
        Assert.Equal(["Ordera/1990-01-01", "Ordera/-", "Orderb/1970-01-01", "Orderc/1980-01-01", "Orderd/-"], await Families("family,birthdate"));
        Assert.Equal(["Ordera/1990-01-01", "Orderc/1980-01-01", "Orderb/1970-01-01", "Ordera/-", "Orderd/-"], await Families("-birthdate,family"));
        Assert.Equal(["Orderb/1970-01-01", "Orderc/1980-01-01", "Ordera/1990-01-01", "Ordera/-", "Orderd/-"], await Families("birthdate,family"));
    }
}
