using System.Collections.Immutable;
using System.Globalization;
using Meridian.Api;
using Meridian.Storage;

namespace Meridian.Audit.Internal;

/// <summary>Builds the <see cref="AuditRecord"/> of a committed write (from the store's planned
/// results) or of any other outcome (from the response).</summary>
internal static class AuditRecords
{
    public static AuditRecord ForWrite(AuditScope scope, ImmutableArray<WriteResult> results, DateTimeOffset now)
    {
        var (subtype, action) = scope.Interaction.Code switch
        {
            "transaction" => ("transaction", "E"),
            // A batch entry runs as its own transaction: name it by what it did.
            "batch" when results.Length == 1 => results[0].Outcome switch
            {
                WriteOutcome.Created => ("create", "C"),
                WriteOutcome.Deleted => ("delete", "D"),
                _ => ("update", "U"),
            },
            "batch" => ("batch", "E"),
            _ => (scope.Interaction.Code, scope.Interaction.Action),
        };
        var patients = new SortedSet<string>(StringComparer.Ordinal);
        var resources = ImmutableArray.CreateBuilder<string>(results.Length);
        foreach (var result in results)
        {
            resources.Add(result.Resource is { } stored ? $"{stored.Type}/{stored.Id}/_history/{stored.VersionText}" : $"{result.Type}/{result.Id}");
            PatientReferences.FromResource(result.Type, result.Id, result.Resource?.Json ?? default, patients);
        }
        PatientReferences.FromRequest(scope.Request, scope.Interaction, patients);
        return new AuditRecord(scope.Request.Tenant, subtype, action, now, "0", scope.Request.Caller)
        {
            Operation = scope.Interaction.Operation,
            Request = RequestLine(scope.Request),
            Resources = resources.MoveToImmutable(),
            Patients = [.. patients],
        };
    }

    public static AuditRecord ForResponse(AuditScope scope, FhirResponse response, DateTimeOffset now)
    {
        var interaction = scope.Interaction;
        var request = scope.Request;
        var patients = new SortedSet<string>(StringComparer.Ordinal);
        PatientReferences.FromRequest(request, interaction, patients);
        var resources = ImmutableArray<string>.Empty;
        if (TargetOf(interaction, response) is { } target)
        {
            resources = [target];
            if (response.IsSuccess && interaction.Type is { } type && interaction.Id is { } id)
            {
                PatientReferences.FromResource(type, id, response.Body, patients);
            }
        }
        var isQuery = interaction.Code.StartsWith("search", StringComparison.Ordinal) || interaction.Code.StartsWith("history", StringComparison.Ordinal) || interaction.Code == "operation";
        return new AuditRecord(request.Tenant, interaction.Code, interaction.Action, now, AuditRecord.OutcomeOf(response.Status), request.Caller)
        {
            OutcomeDescription = response.IsSuccess ? null : Describe(response),
            Operation = interaction.Operation,
            Request = RequestLine(request),
            Query = isQuery && !request.Query.IsDefaultOrEmpty && request.Query.Length > 0 ? QueryText(request) : null,
            Resources = resources,
            Patients = [.. patients],
        };
    }

    /// <summary>The resource a single-resource interaction touched, versioned when the response says which version.</summary>
    private static string? TargetOf(AuditedInteraction interaction, FhirResponse response)
    {
        if (response.IsSuccess && response.Location is { } location && Tail(location) is { } fromLocation)
        {
            return fromLocation;
        }
        if (interaction.Type is not { } type || interaction.Id is not { } id)
        {
            return null;
        }
        var version = interaction.VersionId ?? (response.IsSuccess ? VersionOf(response.ETag) : null);
        return version is null ? $"{type}/{id}" : $"{type}/{id}/_history/{version}";
    }

    private static string? VersionOf(string? etag) =>
        etag is { Length: > 4 } e && e.StartsWith("W/\"", StringComparison.Ordinal) && e.EndsWith('"') ? e[3..^1] : null;

    /// <summary><c>Type/id/_history/v</c> from an absolute Location URL.</summary>
    private static string? Tail(string location)
    {
        var s = location.Split('?')[0].Split('/');
        return s.Length >= 4 && s[^2] == "_history" ? $"{s[^4]}/{s[^3]}/_history/{s[^1]}" : s.Length >= 2 ? $"{s[^2]}/{s[^1]}" : null;
    }

    private static string Describe(FhirResponse response)
    {
        var text = response.Issues.IsDefaultOrEmpty || response.Issues.IsEmpty ? "" : ": " + response.Issues[0].Message;
        return "HTTP " + response.Status.ToString(CultureInfo.InvariantCulture) + text;
    }

    private static string RequestLine(FhirRequest request) =>
        request.Method + " " + request.Path + (request.Query.IsDefaultOrEmpty || request.Query.Length == 0 ? "" : "?" + QueryText(request));

    private static string QueryText(FhirRequest request) =>
        string.Join('&', request.Query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
}
