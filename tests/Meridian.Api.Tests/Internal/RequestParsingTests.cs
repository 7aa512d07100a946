using Meridian.Api.Internal;

namespace Meridian.Api.Tests.Internal;

public sealed class RequestParsingTests
{
    [Theory]
    [InlineData("", "Base", null, null, null)]
    [InlineData("metadata", "Metadata", null, null, null)]
    [InlineData("_history", "SystemHistory", null, null, null)]
    [InlineData("Patient", "Type", "Patient", null, null)]
    [InlineData("Patient/_search", "TypeSearch", "Patient", null, null)]
    [InlineData("Patient/1", "Instance", "Patient", "1", null)]
    [InlineData("Patient/1/_history", "InstanceHistory", "Patient", "1", null)]
    [InlineData("Patient/1/_history/2", "Version", "Patient", "1", "2")]
    [InlineData("Patient/1/$everything", "InstanceOperation", "Patient", "1", null)]
    [InlineData("Patient/1/_history/2/x", "Invalid", null, null, null)]
    public void Routes_name_what_the_path_addresses(string path, string kind, string? type, string? id, string? version)
    {
        var route = Route.Parse(path);
        Assert.Equal(kind, route.Kind.ToString());
        Assert.Equal(type, route.Type);
        Assert.Equal(id, route.Id);
        Assert.Equal(version, route.Version);
    }

    [Theory]
    [InlineData("W/\"3\"", 3L)]
    [InlineData("\"12\"", 12L)]
    [InlineData("7", 7L)]
    public void Version_etags_parse(string etag, long expected)
    {
        Assert.True(ETags.TryParse(etag, out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("W/\"abc\"")]
    [InlineData("W/\"0\"")]
    [InlineData("-1")]
    public void Bad_etags_are_rejected(string etag) => Assert.False(ETags.TryParse(etag, out _));

    [Theory]
    [InlineData("return=minimal", "Minimal")]
    [InlineData("handling=strict, return=OperationOutcome", "OperationOutcome")]
    [InlineData("return=representation", "Representation")]
    [InlineData(null, "Representation")]
    public void Prefer_return_is_read(string? header, string expected) => Assert.Equal(expected, PreferHeader.Return(header).ToString());

    [Fact]
    public void Prefer_handling_is_read()
    {
        Assert.True(PreferHeader.Strict("return=minimal; handling=strict"));
        Assert.False(PreferHeader.Strict("handling=lenient"));
        Assert.False(PreferHeader.Strict(null));
    }

    [Fact]
    public void Query_strings_decode_in_order()
    {
        var pairs = QueryString.Parse("?identifier=urn%3Atest%7C1&name=a+b&flag");
        KeyValuePair<string, string>[] expected = [new("identifier", "urn:test|1"), new("name", "a b"), new("flag", "")];
        Assert.Equal(expected, pairs.ToArray());
        Assert.Equal("identifier=urn%3Atest%7C1&name=a%20b", QueryString.Format(pairs.Take(2)));
    }

    [Theory]
    [InlineData("2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.9999999Z")]
    [InlineData("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.9999999Z")]
    [InlineData("2024-02-03", "2024-02-03T00:00:00Z", "2024-02-03T23:59:59.9999999Z")]
    [InlineData("2024-02-03T10:00:00+02:00", "2024-02-03T08:00:00Z", "2024-02-03T08:00:00.9999999Z")]
    public void Dates_denote_the_range_of_their_precision(string text, string low, string high)
    {
        Assert.True(SearchDates.TryParseRange(text, out var l, out var h));
        Assert.Equal(DateTimeOffset.Parse(low, System.Globalization.CultureInfo.InvariantCulture), l);
        Assert.Equal(DateTimeOffset.Parse(high, System.Globalization.CultureInfo.InvariantCulture), h);
    }
}
