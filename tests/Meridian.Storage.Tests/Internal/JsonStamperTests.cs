using System.Text;
using Meridian.Storage.Internal;

namespace Meridian.Storage.Tests.Internal;

public class JsonStamperTests
{
    [Fact]
    public void Stamping_keeps_narrative_markup_and_non_ascii_text_as_written()
    {
        var json = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">du Marché</div>\"}}");
        var stamped = Encoding.UTF8.GetString(JsonStamper.Stamp(json, "p1", 3, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero)));
        Assert.Contains("<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">du Marché</div>", stamped, StringComparison.Ordinal);
        Assert.Contains("\"versionId\":\"3\"", stamped, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"p1\"", stamped, StringComparison.Ordinal);
    }
}
