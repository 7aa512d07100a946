using System.Text.Json;

namespace Meridian.Fhir.Outcomes;

/// <summary>Renders issues as a FHIR OperationOutcome resource (JSON).</summary>
public static class OperationOutcomeWriter
{
    private const string LineExtension = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line";
    private const string ColumnExtension = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col";
    private const string SourceExtension = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-source";

    public static void Write(Utf8JsonWriter w, IReadOnlyCollection<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(issues);
        w.WriteStartObject();
        w.WriteString("resourceType", "OperationOutcome");
        w.WriteStartArray("issue");
        if (issues.Count == 0)
        {
            // An OperationOutcome needs at least one issue: say explicitly that all is well.
            w.WriteStartObject();
            w.WriteString("severity", "information");
            w.WriteString("code", IssueType.Informational);
            w.WriteString("diagnostics", "All OK");
            w.WriteEndObject();
        }
        foreach (var i in issues)
        {
            w.WriteStartObject();
            if (i.Line is not null || i.Source is not null)
            {
                w.WriteStartArray("extension");
                if (i.Line is not null)
                {
                    WriteIntExtension(w, LineExtension, i.Line.Value);
                    WriteIntExtension(w, ColumnExtension, i.Column ?? 1);
                }
                if (i.Source is not null)
                {
                    w.WriteStartObject();
                    w.WriteString("url", SourceExtension);
                    w.WriteString("valueString", i.Source);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteString("severity", i.Severity.ToString().ToLowerInvariant());
            w.WriteString("code", i.Code);
            w.WriteString("diagnostics", i.Message);
            if (i.Expression is not null)
            {
                w.WriteStartArray("expression");
                w.WriteStringValue(i.Expression);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static string ToJson(IReadOnlyCollection<Issue> issues, bool indented = true)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, indented ? Serialization.FhirJsonWriter.IndentedOptions : Serialization.FhirJsonWriter.Options))
        {
            Write(w, issues);
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteIntExtension(Utf8JsonWriter w, string url, int value)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteNumber("valueInteger", value);
        w.WriteEndObject();
    }
}
