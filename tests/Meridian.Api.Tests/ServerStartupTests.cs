using Meridian.Server;
using Microsoft.Extensions.Options;

namespace Meridian.Api.Tests;

/// <summary>Configuration is validated before the server listens; `meridian serve` reports it.</summary>
public sealed class ServerStartupTests
{
    [Theory]
    [InlineData("Port", "70000", "Port 70000")]
    [InlineData("Store", "oracle", "Store 'oracle'")]
    [InlineData("Api:MaxPageSize", "5", "MaxPageSize")]
    public async Task Invalid_settings_stop_the_server_before_it_starts(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Meridian:Port"] = "0", ["Meridian:" + key] = value };
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Postgres_without_a_connection_string_is_refused()
    {
        var settings = new Dictionary<string, string?> { ["Meridian:Store"] = "postgres" };
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(ex.Failures, f => f.Contains("connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_command_reports_invalid_flags_with_exit_code_2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Meridian.Cli.MeridianCli.RunAsync(["serve", "--store", "oracle", "--port", "0"], output, error);
        Assert.Equal(2, code);
        Assert.Contains("Store 'oracle'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appsettings_json_in_the_content_root_is_read()
    {
        var dir = Directory.CreateTempSubdirectory("meridian-config-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "appsettings.json"), """{"Meridian":{"Api":{"DefaultPageSize":0}}}""");
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], null, dir));
            Assert.Contains(ex.Failures, f => f.Contains("DefaultPageSize", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Environment_variables_map_to_the_meridian_section()
    {
        var settings = MeridianEnvironment.Read(new System.Collections.Hashtable
        {
            ["MERIDIAN_API__DEFAULTPAGESIZE"] = "7",
            ["MERIDIAN_PORT"] = "9000",
            ["MERIDIAN_TEST_PG"] = "not a setting",
            ["PATH"] = "/bin",
        });
        Assert.Equal("7", settings["Meridian:API:DEFAULTPAGESIZE"]);
        Assert.Equal("9000", settings["meridian:port"]);
        Assert.Equal(2, settings.Count);
    }
}
