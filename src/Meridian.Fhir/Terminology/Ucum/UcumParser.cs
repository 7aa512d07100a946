using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>Outcome of parsing a unit expression: the term, or why it is not valid UCUM.</summary>
internal readonly record struct UcumParseResult(UcumTerm? Term, string? Error);

/// <summary>
/// Recursive-descent parser for the UCUM case-sensitive grammar (UCUM §2):
/// main-term := "/" term | term; term := component (("." | "/") component)*;
/// component := annotatable annotation? | annotation | factor | "(" term ")";
/// annotatable := simple-unit exponent?; simple-unit := atom | prefix metric-atom.
/// A symbol runs up to the next operator, parenthesis or brace, except that square brackets
/// enclose everything up to the matching "]" ("B[10.nV]", "[m/s2/Hz^(1/2)]").
/// </summary>
internal sealed class UcumParser
{
    private readonly FrozenDictionary<string, UcumAtom> _atoms;
    private readonly ImmutableArray<UcumPrefix> _prefixes;

    public UcumParser(FrozenDictionary<string, UcumAtom> atoms, ImmutableArray<UcumPrefix> prefixes)
    {
        _atoms = atoms;
        // Longest first so "da" is tried before "d".
        _prefixes = [.. prefixes.OrderByDescending(p => p.Code.Length).ThenBy(p => p.Code, StringComparer.Ordinal)];
    }

    public UcumParseResult Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return new(null, "the unit is empty");
        }
        foreach (var c in text)
        {
            if (c is < (char)33 or > (char)126 && !(c == ' ' && text.Contains('{', StringComparison.Ordinal)))
            {
                return new(null, c == ' '
                    ? "spaces are not allowed in a UCUM unit"
                    : $"character '{c}' is not allowed: UCUM units are 7-bit ASCII");
            }
        }
        var state = new State(this, text);
        var term = state.ParseMainTerm();
        if (term is null)
        {
            return new(null, state.Error);
        }
        return state.Position < text.Length
            ? new(null, $"unexpected '{text[state.Position]}' at position {state.Position + 1}")
            : new(term, null);
    }

    private UcumUnitComponent? ResolveSimpleUnit(string symbol, int exponent, out string? error)
    {
        error = null;
        if (_atoms.TryGetValue(symbol, out var atom))
        {
            return new UcumUnitComponent(null, atom, exponent);
        }
        foreach (var prefix in _prefixes)
        {
            if (symbol.Length > prefix.Code.Length
                && symbol.StartsWith(prefix.Code, StringComparison.Ordinal)
                && _atoms.TryGetValue(symbol[prefix.Code.Length..], out var prefixed))
            {
                if (prefixed.IsMetric)
                {
                    return new UcumUnitComponent(prefix, prefixed, exponent);
                }
                error = $"'{prefixed.Code}' is not a metric unit, so it cannot take the prefix '{prefix.Code}'";
            }
        }
        error ??= $"'{symbol}' is not a UCUM unit";
        return null;
    }

    /// <summary>Mutable cursor over one input; lives for a single <see cref="Parse"/> call.</summary>
    private sealed class State(UcumParser owner, string text)
    {
        private int _depth;

        public int Position { get; private set; }

        public string? Error { get; private set; }

        public UcumTerm? ParseMainTerm()
        {
            if (text[0] == '/')
            {
                Position = 1;
                var rest = ParseTerm();
                if (rest is null)
                {
                    return null;
                }
                var parts = ImmutableArray.CreateBuilder<UcumTermPart>(rest.Parts.Length);
                parts.Add(new UcumTermPart(true, rest.Parts[0].Component));
                for (var i = 1; i < rest.Parts.Length; i++)
                {
                    parts.Add(rest.Parts[i]);
                }
                return new UcumTerm(parts.MoveToImmutable());
            }
            return ParseTerm();
        }

        private UcumTerm? ParseTerm()
        {
            var parts = ImmutableArray.CreateBuilder<UcumTermPart>();
            var divide = false;
            while (true)
            {
                var component = ParseComponent();
                if (component is null)
                {
                    return null;
                }
                parts.Add(new UcumTermPart(divide, component));
                if (Position >= text.Length || text[Position] == ')')
                {
                    return new UcumTerm(parts.ToImmutable());
                }
                var op = text[Position];
                if (op is not ('.' or '/'))
                {
                    return FailTerm<UcumTerm>($"expected '.', '/' or the end at position {Position + 1}, found '{op}'");
                }
                divide = op == '/';
                Position++;
            }
        }

        private UcumComponent? ParseComponent()
        {
            if (Position >= text.Length)
            {
                return Fail(Position == 0 ? "the unit is empty" : $"'{text[Position - 1]}' is not followed by a unit");
            }
            var c = text[Position];
            if (c == '(')
            {
                if (++_depth > 32)
                {
                    return Fail("parentheses are nested too deeply");
                }
                Position++;
                var inner = ParseTerm();
                _depth--;
                if (inner is null)
                {
                    return null;
                }
                if (Position >= text.Length || text[Position] != ')')
                {
                    return Fail("missing ')'");
                }
                Position++;
                return new UcumGroupComponent(inner);
            }
            if (c == '{')
            {
                var start = Position;
                return SkipAnnotation() ? new UcumUnityComponent(text[start..Position]) : null;
            }
            if (c is '.' or '/' or ')' or '}')
            {
                return Fail($"unexpected '{c}' at position {Position + 1}");
            }
            var symbol = ReadSymbol();
            if (symbol is null)
            {
                return null;
            }
            var component = Interpret(symbol);
            if (component is null)
            {
                return null;
            }
            if (Position < text.Length && text[Position] == '{' && !SkipAnnotation())
            {
                return null;
            }
            return component;
        }

        private bool SkipAnnotation()
        {
            var close = text.IndexOf('}', Position + 1);
            if (close < 0)
            {
                Fail("annotation '{' is not closed");
                return false;
            }
            var open = text.IndexOf('{', Position + 1, close - Position - 1);
            if (open >= 0)
            {
                Fail("'{' is not allowed inside an annotation");
                return false;
            }
            Position = close + 1;
            return true;
        }

        private string? ReadSymbol()
        {
            var start = Position;
            while (Position < text.Length)
            {
                var c = text[Position];
                if (c == '[')
                {
                    var close = text.IndexOf(']', Position + 1);
                    if (close < 0)
                    {
                        Fail("'[' is not closed");
                        return null;
                    }
                    Position = close + 1;
                    continue;
                }
                if (c is '.' or '/' or '(' or ')' or '{' or '}' or ' ')
                {
                    break;
                }
                Position++;
            }
            return text[start..Position];
        }

        private UcumComponent? Interpret(string symbol)
        {
            if (IsDigits(symbol))
            {
                return BigInteger.TryParse(symbol, NumberStyles.None, CultureInfo.InvariantCulture, out var factor)
                    ? new UcumFactorComponent(factor)
                    : Fail($"'{symbol}' is not a valid factor");
            }
            var unit = owner.ResolveSimpleUnit(symbol, 1, out var error);
            if (unit is not null)
            {
                return unit;
            }
            // A trailing signed integer is the exponent ("m2", "s-1", "10*-3"), unless brackets end the symbol.
            var end = symbol.Length;
            while (end > 0 && char.IsAsciiDigit(symbol[end - 1]))
            {
                end--;
            }
            if (end == symbol.Length || end == 0)
            {
                return Fail(error!);
            }
            var baseEnd = end > 0 && symbol[end - 1] is '+' or '-' ? end - 1 : end;
            var baseSymbol = symbol[..baseEnd];
            if (baseSymbol.Length == 0)
            {
                return Fail($"'{symbol}' has an exponent but no unit");
            }
            if (IsDigits(baseSymbol))
            {
                return Fail($"'{symbol}': a number cannot take an exponent ('{baseSymbol}' is not a unit)");
            }
            if (!int.TryParse(symbol.AsSpan(baseEnd), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
            {
                return Fail($"exponent in '{symbol}' is too large");
            }
            unit = owner.ResolveSimpleUnit(baseSymbol, exponent, out var baseError);
            return unit ?? Fail(baseError!);
        }

        private static bool IsDigits(string s)
        {
            foreach (var c in s)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }
            return s.Length > 0;
        }

        private UcumComponent? Fail(string message) => FailTerm<UcumComponent>(message);

        private T? FailTerm<T>(string message)
            where T : class
        {
            Error ??= message;
            return null;
        }
    }
}
