using System.IO.Compression;
using System.Text;

namespace Meridian.Cli.Tests.Import.Support;

/// <summary>Small input files written by the tests.</summary>
public static class Inputs
{
    public static string Patient(int i, string? id = null) =>
        $$"""{"resourceType":"Patient","id":"{{id ?? $"p{i}"}}","name":[{"family":"Fam{{i}}"}]}""";

    public static string PatientsNdjson(int count) => string.Join('\n', Enumerable.Range(1, count).Select(i => Patient(i))) + "\n";

    public static async Task<string> WriteAsync(string path, string content, bool gzip = false)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (gzip)
        {
            await using var file = File.Create(path);
            await using var gz = new GZipStream(file, CompressionLevel.Fastest);
            await gz.WriteAsync(bytes);
        }
        else
        {
            await File.WriteAllBytesAsync(path, bytes);
        }
        return path;
    }

    /// <summary>A transaction Bundle: a Patient and an Observation referring to it by urn:uuid.</summary>
    public static string TransactionBundle(string patientUuid, string observationUuid, string? gender = null) => $$$"""
        {"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:{{{patientUuid}}}","resource":{"resourceType":"Patient","gender":"{{{gender ?? "female"}}}","name":[{"family":"Bundled"}]},
           "request":{"method":"POST","url":"Patient"}},
          {"fullUrl":"urn:uuid:{{{observationUuid}}}","resource":{"resourceType":"Observation","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},"subject":{"reference":"urn:uuid:{{{patientUuid}}}"}},
           "request":{"method":"POST","url":"Observation"}}]}
        """;
}
