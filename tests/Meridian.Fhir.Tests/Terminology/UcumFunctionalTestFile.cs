using System.Xml.Linq;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>Reads the official UCUM functional conformance tests (UcumFunctionalTests.xml).</summary>
internal static class UcumFunctionalTestFile
{
    private static readonly Lazy<XElement> s_root = new(() =>
        XDocument.Load(SharedData.PathOf("terminology", "ucum", "UcumFunctionalTests.xml")).Root!);

    public static IEnumerable<XElement> Cases(string section) =>
        s_root.Value.Element(section)?.Elements("case") ?? [];

    public static string Attr(XElement e, string name) =>
        (string?)e.Attribute(name) ?? throw new InvalidDataException($"case {(string?)e.Attribute("id")} has no {name}");
}
