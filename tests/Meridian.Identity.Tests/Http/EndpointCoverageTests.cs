using System.Net;
using Meridian.Identity.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Tests.Http;

/// <summary>
/// Every endpoint the server maps, with every method it accepts, refuses a request without a
/// token — except the documented discovery allow-list (docs/authentication.md). A new endpoint
/// is therefore protected by default, and a new anonymous one fails this test until it is
/// added to the list on purpose.
/// </summary>
public sealed class EndpointCoverageTests(SqliteAuthServerFixture fixture) : IClassFixture<SqliteAuthServerFixture>
{
    /// <summary>Method and route pattern of every endpoint that may be called without a token.</summary>
    public static readonly HashSet<string> AllowList = new(StringComparer.Ordinal)
    {
        "GET /fhir/.well-known/smart-configuration",
        "GET /t/{tenant}/fhir/.well-known/smart-configuration",
        "GET /auth/jwks", "POST /auth/token", "POST /auth/introspect", "GET /auth/authorize", "POST /auth/authorize",
        "GET /t/{tenant}/auth/jwks", "POST /t/{tenant}/auth/token", "POST /t/{tenant}/auth/introspect", "GET /t/{tenant}/auth/authorize", "POST /t/{tenant}/auth/authorize",
    };

    private static IEnumerable<(string Method, RouteEndpoint Endpoint)> Mapped(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST", "PUT", "PATCH", "DELETE"]).Select(m => (m, e)));

    private static string Url(string root, RouteEndpoint e) =>
        root + e.RoutePattern.RawText!.Replace("{tenant}", "acme", StringComparison.Ordinal).Replace("{**path}", "Patient/1", StringComparison.Ordinal);

    [Fact]
    public async Task Every_mapped_endpoint_refuses_anonymous_requests_except_the_allow_list()
    {
        var checkedCount = 0;
        foreach (var (method, endpoint) in Mapped(fixture.Services))
        {
            var key = method + " " + endpoint.RoutePattern.RawText;
            using var request = new HttpRequestMessage(new HttpMethod(method), Url(fixture.Root, endpoint));
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = new StringContent("{\"resourceType\":\"Patient\"}", System.Text.Encoding.UTF8, "application/fhir+json");
            }
            using var response = await fixture.Http.SendAsync(request);
            var bearerChallenge = response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer");
            if (AllowList.Contains(key))
            {
                Assert.False(bearerChallenge, $"{key} is on the allow-list but asked for a bearer token");
                Assert.NotNull(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized && bearerChallenge, $"{key} answered {(int)response.StatusCode} without a token");
                Assert.Null(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
            }
            checkedCount++;
        }
        // The FHIR routes (7 methods × 2 groups) and the 12 identity endpoints at least.
        Assert.True(checkedCount >= 14 + AllowList.Count, $"only {checkedCount} endpoint/method pairs found");
        foreach (var allowed in AllowList)
        {
            Assert.Contains(Mapped(fixture.Services), m => m.Method + " " + m.Endpoint.RoutePattern.RawText == allowed);
        }
    }

    [Theory]
    [InlineData("GET", "/fhir/metadata", HttpStatusCode.OK)]
    [InlineData("HEAD", "/t/acme/fhir/metadata", HttpStatusCode.OK)]
    [InlineData("POST", "/fhir/metadata", HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/fhir/Patient/metadata", HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/fhir/", HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/nowhere", HttpStatusCode.Unauthorized)]
    [InlineData("GET", "/t/acme/fhir/Patient?_include=*", HttpStatusCode.Unauthorized)]
    public async Task Only_the_CapabilityStatement_of_the_FHIR_routes_is_open(string method, string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), fixture.Root + path);
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }
}
