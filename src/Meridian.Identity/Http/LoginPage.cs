using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Meridian.Identity.Http;

/// <summary>
/// The minimal HTML login page of the authorization-code flow. The authorize parameters travel
/// as hidden fields and are validated again on POST. No script, no external resources, not
/// frameable, never cached.
/// </summary>
internal static class LoginPage
{
    public static readonly string[] CarriedParameters = ["response_type", "client_id", "redirect_uri", "scope", "state", "aud", "code_challenge", "code_challenge_method", "launch"];

    public static IResult Render(string action, IReadOnlyDictionary<string, string> parameters, string clientName, bool askPatient, string? message, int status = 200)
    {
        var html = new StringBuilder(2048);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Meridian sign-in</title>")
            .Append("<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label{display:block;margin:.6rem 0}input{width:100%}</style></head><body>")
            .Append("<h1>Sign in to Meridian</h1><p>").Append(E(clientName)).Append(" asks for: <code>").Append(E(parameters.GetValueOrDefault("scope") ?? "")).Append("</code></p>");
        if (message is not null)
        {
            html.Append("<p role=\"alert\"><strong>").Append(E(message)).Append("</strong></p>");
        }
        html.Append("<form method=\"post\" action=\"").Append(E(action)).Append("\">");
        foreach (var name in CarriedParameters)
        {
            if (parameters.TryGetValue(name, out var value))
            {
                html.Append("<input type=\"hidden\" name=\"").Append(name).Append("\" value=\"").Append(E(value)).Append("\">");
            }
        }
        html.Append("<label>Username <input name=\"username\" autocomplete=\"username\" required></label>")
            .Append("<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>");
        if (askPatient)
        {
            html.Append("<label>Patient id (for patient context) <input name=\"patient\"></label>");
        }
        html.Append("<button type=\"submit\">Sign in</button></form></body></html>");
        return new HtmlResult(status, html.ToString());
    }

    public static IResult Error(string message, int status = 400) =>
        new HtmlResult(status, $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Meridian sign-in</title></head><body><h1>Sign-in request refused</h1><p>{E(message)}</p></body></html>");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private sealed class HtmlResult(int status, string html) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var r = httpContext.Response;
            r.StatusCode = status;
            r.ContentType = "text/html; charset=utf-8";
            r.Headers.CacheControl = "no-store";
            r.Headers["X-Frame-Options"] = "DENY";
            r.Headers["X-Content-Type-Options"] = "nosniff";
            r.Headers["Referrer-Policy"] = "no-referrer";
            // No form-action: the post-login redirect to the app would fall under it in some browsers.
            r.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
            return r.WriteAsync(html, httpContext.RequestAborted);
        }
    }
}
