using Microsoft.Extensions.Options;

namespace Meridian.Server;

/// <summary>
/// Server settings, section <c>Meridian</c>: appsettings.json, then environment variables
/// (<c>MERIDIAN_PORT</c>, <c>MERIDIAN_STORE</c>, <c>MERIDIAN_API__MAXPAGESIZE</c>…), then
/// command-line flags, later sources winning. Validated at start: a bad value stops the server
/// before it listens.
/// </summary>
public sealed class MeridianServerOptions
{
    public const string Section = "Meridian";

    /// <summary>Address Kestrel binds to. The embedded default serves this machine only.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 8080;

    /// <summary><c>sqlite</c> (embedded, the default) or <c>postgres</c>.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>Directory of the SQLite database (created if missing).</summary>
    public string Data { get; set; } = "./data";

    /// <summary>PostgreSQL connection string (required for <c>postgres</c>).</summary>
    public string? Connection { get; set; }

    /// <summary>Largest request body accepted, in bytes; larger bodies are refused with 413.</summary>
    public long MaxBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Development only: serve without authentication, every request acting as
    /// <see cref="Api.Caller.InsecureDev"/>. An explicit opt-in (<c>--insecure-dev</c>); the server
    /// prints a warning when it is on. Never set it where real patient data lives.
    /// </summary>
    public bool InsecureDev { get; set; }

    /// <summary>Authentication (section <c>Meridian:Identity</c>): built-in authorization server or external issuer.</summary>
    public Identity.IdentityOptions Identity { get; set; } = new();

    /// <summary>TLS for Kestrel and HSTS (docs/encryption.md).</summary>
    public Protection.TlsSettings Tls { get; set; } = new();

    /// <summary>Encryption at rest: master key source and default (docs/encryption.md).</summary>
    public Protection.EncryptionSettings Encryption { get; set; } = new();

    /// <summary>Store settings (<c>Meridian:Storage:…</c>).</summary>
    public StorageSettings Storage { get; set; } = new();

    public sealed class StorageSettings
    {
        /// <summary>How long a search that can reach AuditEvent waits for the deferred audit
        /// indexer (ADR 0030) before it is answered 503 with Retry-After.</summary>
        public TimeSpan DeferredIndexWait { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long the background audit indexer gathers writes before a pass (searches
        /// that need the rows index at once).</summary>
        public TimeSpan DeferredIndexDelay { get; set; } = TimeSpan.FromMilliseconds(100);

        /// <summary>These settings over <paramref name="options"/>: the one place the server and
        /// the tools that open the store directly (<see cref="Protection.MeridianStoreOpener"/>) turn them into store options.</summary>
        public Meridian.Storage.StoreOptions ApplyTo(Meridian.Storage.StoreOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            return options with { DeferredIndexWait = DeferredIndexWait, DeferredIndexDelay = DeferredIndexDelay };
        }
    }

    /// <summary>Settings of the interaction layer.</summary>
    public ApiSettings Api { get; set; } = new();

    /// <summary>Abuse limits: rate, headers, time, slow clients (<c>Meridian:Limits:…</c>).</summary>
    public Limits.LimitsSettings Limits { get; set; } = new();

    /// <summary>Retention periods per resource type (<c>Meridian:Retention:Periods:Observation = 3650d</c>).</summary>
    public Retention.RetentionSettings Retention { get; set; } = new();

    /// <summary>The event backbone: transport, partition, polling, lease (<c>Meridian:Events:…</c>, docs/events.md).</summary>
    public Events.EventsSettings Events { get; set; } = new();

    /// <summary>Who may read <c>/metrics</c> (<c>Meridian:Metrics:…</c>, docs/events.md).</summary>
    public Metrics.MetricsSettings Metrics { get; set; } = new();

    /// <summary>FHIR Subscriptions delivery: retry budget, backoff, timeouts (<c>Meridian:Subscriptions:…</c>, docs/subscriptions.md).</summary>
    public Subscriptions.SubscriptionsSettings Subscriptions { get; set; } = new();

    /// <summary>The HL7 v2 engine (<c>Meridian:Hl7:…</c>): MLLP port, TLS, limits, senders (docs/hl7v2-engine.md).</summary>
    public Meridian.Hl7.Engine.Hl7EngineOptions Hl7 { get; set; } = new();

    public sealed class ApiSettings
    {
        public int DefaultPageSize { get; set; } = 20;
        public int MaxPageSize { get; set; } = 1000;
        public int MaxBundleEntries { get; set; } = 10_000;
        public int MaxConditionalDeletes { get; set; } = 1;
    }

    public Api.FhirApiOptions ToApiOptions() => new()
    {
        DefaultPageSize = Api.DefaultPageSize,
        MaxPageSize = Api.MaxPageSize,
        MaxBundleEntries = Api.MaxBundleEntries,
        MaxConditionalDeletes = Api.MaxConditionalDeletes,
    };
}

/// <summary>Checks <see cref="MeridianServerOptions"/> at start (ValidateOnStart).</summary>
public sealed class MeridianServerOptionsValidator : IValidateOptions<MeridianServerOptions>
{
    public ValidateOptionsResult Validate(string? name, MeridianServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            problems.Add($"Port {options.Port} is not a TCP port (0-65535).");
        }
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            problems.Add("Host must be an address to listen on.");
        }
        switch (options.Store)
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(options.Data))
                {
                    problems.Add("Data must name a directory for the SQLite store.");
                }
                break;
            case "postgres":
                if (string.IsNullOrWhiteSpace(options.Connection))
                {
                    problems.Add("Store 'postgres' needs a connection string (--connection or MERIDIAN_CONNECTION).");
                }
                break;
            default:
                problems.Add($"Store '{options.Store}' is not known; use sqlite or postgres.");
                break;
        }
        if (options.Storage.DeferredIndexWait <= TimeSpan.Zero || options.Storage.DeferredIndexWait > TimeSpan.FromMinutes(10))
        {
            problems.Add("Storage:DeferredIndexWait must be more than 0 and at most 00:10:00.");
        }
        if (options.Storage.DeferredIndexDelay < TimeSpan.Zero)
        {
            problems.Add("Storage:DeferredIndexDelay must not be negative.");
        }
        if (options.MaxBodyBytes < 1024)
        {
            problems.Add("MaxBodyBytes must be at least 1024.");
        }
        problems.AddRange(options.ToApiOptions().Problems());
        problems.AddRange(options.Identity.Problems());
        problems.AddRange(options.Limits.Problems());
        problems.AddRange(options.Retention.Problems());
        problems.AddRange(options.Tls.Problems());
        problems.AddRange(options.Encryption.Problems(options));
        problems.AddRange(options.Events.Problems());
        problems.AddRange(options.Metrics.Problems());
        problems.AddRange(options.Subscriptions.Problems());
        problems.AddRange(options.Hl7.Problems());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
