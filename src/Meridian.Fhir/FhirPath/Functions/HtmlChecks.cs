using System.Xml;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>htmlChecks(): the narrative is a well-formed XHTML div without active content.</summary>
internal static class HtmlChecks
{
    private static readonly string[] s_forbiddenElements = ["script", "object", "embed", "iframe", "applet", "form", "base", "link", "meta", "frame", "frameset"];

    public static bool IsSafe(IReadOnlyList<object> input)
    {
        for (var i = 0; i < input.Count; i++)
        {
            var text = input[i] is FhirNode n ? n.Text : input[i] as string;
            if (text is null || !IsSafe(text))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsSafe(string xhtml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xhtml), settings);
            var first = true;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }
                if (first && reader.LocalName != "div")
                {
                    return false;
                }
                first = false;
                if (Array.IndexOf(s_forbiddenElements, reader.LocalName) >= 0)
                {
                    return false;
                }
                while (reader.MoveToNextAttribute())
                {
                    if (reader.LocalName.StartsWith("on", StringComparison.OrdinalIgnoreCase)
                        || reader.Value.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase))
                    {
                        return false;
                    }
                }
            }
            return !first;
        }
        catch (XmlException)
        {
            return false;
        }
    }
}
