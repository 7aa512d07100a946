using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api.Internal;

namespace Meridian.Api.Tests.Internal;

/// <summary>RFC 6902 behaviour (appendix A cases) of the JSON Patch engine.</summary>
public sealed class JsonPatchTests
{
    private static (string Result, string? Error, bool Malformed) Apply(string doc, string patch)
    {
        var target = (JsonObject)JsonNode.Parse(doc)!;
        var error = JsonPatch.Apply(target, Encoding.UTF8.GetBytes(patch), out var malformed);
        return (target.ToJsonString(), error, malformed);
    }

    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":"x"}]""", """{"foo":["bar","x"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"a/b":1,"m~n":2}""", """[{"op":"copy","from":"/a~1b","path":"/m~0n"}]""", """{"a/b":1,"m~n":1}""")]
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    public void Applies_the_rfc_examples(string doc, string patch, string expected)
    {
        var (result, error, _) = Apply(doc, patch);
        Assert.Null(error);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(result)), result);
    }

    [Theory]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", false)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", false)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"remove","path":"/nothing"}]""", false)]
    [InlineData("""{"foo":["a"]}""", """[{"op":"add","path":"/foo/5","value":"x"}]""", false)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"frobnicate","path":"/foo"}]""", true)]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz"}]""", true)]
    [InlineData("""{"foo":"bar"}""", """{"op":"add"}""", true)]
    [InlineData("""{"foo":"bar"}""", """not json""", true)]
    public void Reports_errors_as_values(string doc, string patch, bool malformed)
    {
        var (_, error, isMalformed) = Apply(doc, patch);
        Assert.NotNull(error);
        Assert.Equal(malformed, isMalformed);
    }
}
