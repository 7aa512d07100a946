using System.CommandLine;
using System.Globalization;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian serve</c>: the FHIR R4 server. Defaults to the embedded setup (SQLite under
/// ./data, http://127.0.0.1:8080/fhir); flags override appsettings.json and MERIDIAN_*
/// environment variables.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new Option<int?>("--port") { Description = "TCP port (default 8080)" };
        var host = new Option<string?>("--host") { Description = "Address to listen on (default 127.0.0.1)" };
        var data = new Option<string?>("--data") { Description = "Directory of the SQLite store (default ./data)" };
        var store = new Option<string?>("--store") { Description = "sqlite (default) or postgres" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string" };
        var insecureDev = new Option<bool>("--insecure-dev") { Description = "Development only: serve without authentication (prints a warning)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "TLS certificate: PEM (with --tls-key) or .pfx/.p12; password via MERIDIAN_TLS__PASSWORD or Meridian:Tls:PasswordFile" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var masterKeyFile = new Option<string?>("--master-key-file") { Description = "Master key for encryption at rest (base64 of 32 bytes); or MERIDIAN_MASTER_KEY" };
        var mllpPort = new Option<int?>("--mllp-port") { Description = "Also listen for HL7 v2 over MLLP on this TCP port (0: a free one); see docs/hl7v2-engine.md" };
        var command = new Command("serve", "Start the FHIR R4 server.") { port, host, data, store, connection, insecureDev, tlsCert, tlsKey, masterKeyFile, mllpPort };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, string? value)
            {
                if (value is not null)
                {
                    overrides[MeridianServerOptions.Section + ":" + key] = value;
                }
            }
            Set("Port", parse.GetValue(port)?.ToString(CultureInfo.InvariantCulture));
            Set("Host", parse.GetValue(host));
            Set("Data", parse.GetValue(data));
            Set("Store", parse.GetValue(store));
            Set("Connection", parse.GetValue(connection));
            Set("Tls:Certificate", parse.GetValue(tlsCert));
            Set("Tls:Key", parse.GetValue(tlsKey));
            Set("Encryption:MasterKeyFile", parse.GetValue(masterKeyFile));
            Set("Hl7:MllpPort", parse.GetValue(mllpPort)?.ToString(CultureInfo.InvariantCulture));
            if (parse.GetValue(insecureDev))
            {
                Set("InsecureDev", "true");
            }
            try
            {
                await using var app = await MeridianServer.BuildAsync([], overrides, cancellationToken: ct).ConfigureAwait(false);
                await app.StartAsync(ct).ConfigureAwait(false);
                var options = app.Services.GetRequiredService<IOptions<MeridianServerOptions>>().Value;
                if (options.InsecureDev)
                {
                    await error.WriteLineAsync("WARNING: --insecure-dev: authentication is OFF; every request is served as an anonymous developer. Never use this with real patient data.").ConfigureAwait(false);
                }
                if (app.Services.GetService<Meridian.Identity.Accounts.BootstrapCredentials>() is { } first)
                {
                    await output.WriteLineAsync(BootstrapMessage.Format(first, MeridianServer.Addresses(app).FirstOrDefault() ?? "http://127.0.0.1:8080")).ConfigureAwait(false);
                }
                var where = options.Store == "postgres" ? "PostgreSQL" : "SQLite in " + Path.GetFullPath(options.Data);
                foreach (var address in MeridianServer.Addresses(app))
                {
                    await output.WriteLineAsync($"Meridian FHIR R4 server: {address}/fhir ({where})").ConfigureAwait(false);
                }
                if (app.Services.GetRequiredService<Meridian.Server.Hl7.Hl7EngineHost>().Engine.MllpEndpoint is { } mllp)
                {
                    await output.WriteLineAsync($"Meridian HL7 v2 MLLP listener: {mllp}").ConfigureAwait(false);
                }
                await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
                return 0;
            }
            catch (OptionsValidationException ex)
            {
                await error.WriteLineAsync("meridian serve: invalid configuration: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }
}
