using System.Data.Common;
using System.Net.Http.Headers;
using Meridian.Api;

namespace Meridian.Cli.Import;

/// <summary>The status and body a FHIR base answered to a POSTed batch or transaction Bundle.</summary>
public readonly record struct TargetReply(int Status, ReadOnlyMemory<byte> Body);

/// <summary>
/// Where an import writes: a FHIR base that takes batch/transaction Bundles. Transport failures
/// (server down, connection reset) throw; every FHIR answer, error or not, is a reply.
/// </summary>
public interface IImportTarget
{
    /// <summary>Names the database or server, so a checkpoint is never applied to another one (no secrets).</summary>
    string Identity { get; }

    Task<TargetReply> PostBundleAsync(ReadOnlyMemory<byte> bundle, CancellationToken cancellationToken);

    /// <summary>Runs once after a run that read every file (e.g. refreshing planner statistics).</summary>
    Task CompleteAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Straight into a store through the in-process <see cref="FhirApi"/>: the server's own validation, indexing and transactions.</summary>
public sealed class InProcessTarget(FhirApi api, string identity, Func<CancellationToken, Task>? afterImport = null) : IImportTarget
{
    public string Identity { get; } = identity;

    /// <summary>Wraps every Bundle the way the HTTP host wraps a request: the audit interceptor,
    /// so each committed transaction carries its AuditEvent (<see cref="ImportAudit"/>). Null: unaudited (tests of the reader only).</summary>
    public IFhirInterceptor? Interceptor { get; init; }

    /// <summary>Who the writes are attributed to (in the AuditEvents).</summary>
    public Caller Caller { get; init; } = Caller.System("meridian-import");

    public Task CompleteAsync(CancellationToken cancellationToken) => afterImport?.Invoke(cancellationToken) ?? Task.CompletedTask;

    public async Task<TargetReply> PostBundleAsync(ReadOnlyMemory<byte> bundle, CancellationToken cancellationToken)
    {
        var request = new FhirRequest("POST", "")
        {
            // The importer is a trusted pipeline: system scopes, integration role (docs/authorization.md).
            Caller = Caller,
            Body = bundle,
            Headers = new FhirRequestHeaders { ContentType = "application/fhir+json", Prefer = "return=minimal" },
        };
        var response = Interceptor is null
            ? await api.HandleAsync(request, cancellationToken).ConfigureAwait(false)
            : await Interceptor.HandleAsync(request, api.HandleAsync, cancellationToken).ConfigureAwait(false);
        return new TargetReply(response.Status, response.Body);
    }

    /// <summary>"postgres:" and the connection string without its password.</summary>
    public static string PostgresIdentity(string connection)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connection };
        foreach (var key in new[] { "password", "pwd" })
        {
            builder.Remove(key);
        }
        return "postgres:" + builder.ConnectionString;
    }
}

/// <summary>A running Meridian (or any FHIR R4) server: POST [base].</summary>
public sealed class HttpTarget(HttpClient client, Uri baseUrl) : IImportTarget
{
    public string Identity { get; } = "http:" + baseUrl.ToString().TrimEnd('/');

    public async Task<TargetReply> PostBundleAsync(ReadOnlyMemory<byte> bundle, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(bundle);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        request.Headers.Add("Prefer", "return=minimal");
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new TargetReply((int)response.StatusCode, body);
    }
}
