using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian fhirpath EXPRESSION FILE</c>: the result collection as a JSON array.
/// Elements print as FHIR JSON; System values as JSON scalars, dates/times as their FHIRPath
/// text, quantities as <c>{"value":…,"unit":…}</c>. Errors print an OperationOutcome (exit 1).</summary>
internal static class FhirPathCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var expression = new Argument<string>("expression") { Description = "a FHIRPath expression" };
        var file = new Argument<FileInfo>("file") { Description = "a FHIR resource as JSON" };
        var command = new Command("fhirpath", "Evaluate a FHIRPath expression against a resource and print the result as JSON.")
        {
            expression,
            file,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                return await Fail(error, Issue.Error(IssueType.NotFound, $"File not found: {path.FullName}")).ConfigureAwait(false);
            }
            var parsed = FhirJsonParser.R4.Parse(await File.ReadAllBytesAsync(path.FullName, ct).ConfigureAwait(false));
            if (parsed.Resource is null)
            {
                await error.WriteLineAsync(OperationOutcomeWriter.ToJson(parsed.Issues)).ConfigureAwait(false);
                return 1;
            }
            if (!FhirPathEngine.R4.TryCompile(parse.GetValue(expression)!, out var compiled, out var message))
            {
                return await Fail(error, Issue.Error(IssueType.Invalid, "FHIRPath syntax: " + message)).ConfigureAwait(false);
            }
            IReadOnlyList<object> result;
            try
            {
                result = compiled!.Evaluate(parsed.Resource);
            }
            catch (FhirPathException ex)
            {
                return await Fail(error, Issue.Error(IssueType.Processing, "FHIRPath evaluation: " + ex.Message)).ConfigureAwait(false);
            }
            await output.WriteLineAsync(ToJson(result)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    internal static string ToJson(IReadOnlyList<object> items)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, FhirJsonWriter.Options))
        {
            w.WriteStartArray();
            foreach (var item in items)
            {
                switch (item)
                {
                    case FhirNode node:
                        FhirJsonWriter.WriteValue(w, node);
                        break;
                    case string s:
                        w.WriteStringValue(s);
                        break;
                    case bool b:
                        w.WriteBooleanValue(b);
                        break;
                    case long l:
                        w.WriteNumberValue(l);
                        break;
                    case int i:
                        w.WriteNumberValue(i);
                        break;
                    case decimal d:
                        w.WriteRawValue(d.ToString(CultureInfo.InvariantCulture));
                        break;
                    case FhirPathQuantity q:
                        w.WriteStartObject();
                        w.WritePropertyName("value");
                        w.WriteRawValue(q.Value.ToString(CultureInfo.InvariantCulture));
                        w.WriteString("unit", q.Unit);
                        w.WriteEndObject();
                        break;
                    default:
                        w.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture));
                        break;
                }
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static async Task<int> Fail(TextWriter error, Issue issue)
    {
        await error.WriteLineAsync(OperationOutcomeWriter.ToJson([issue])).ConfigureAwait(false);
        return 1;
    }
}
