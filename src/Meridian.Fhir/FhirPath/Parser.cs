using System.Collections.Immutable;
using System.Globalization;

namespace Meridian.Fhir.FhirPath;

/// <summary>
/// Recursive-descent parser following the precedence of the FHIRPath grammar (lowest first):
/// implies, or/xor, and, in/contains, equality, inequality, |, is/as, additive, multiplicative,
/// unary polarity, then postfix invocation and indexing.
/// </summary>
public static class FhirPathParser
{
    public static AstNode Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var p = new State(Lexer.Tokenize(expression));
        if (p.Peek.Kind == TokenKind.End)
        {
            throw new FhirPathException("Empty expression", 0);
        }
        var node = p.Expression();
        if (p.Peek.Kind != TokenKind.End)
        {
            throw new FhirPathException($"Unexpected '{p.Peek.Text}'", p.Peek.Position);
        }
        return node;
    }

    private sealed class State(List<Token> tokens)
    {
        private int _i;

        public Token Peek => tokens[_i];

        private Token Next() => tokens[_i++];

        private bool IsSymbol(string s) => Peek.Kind == TokenKind.Symbol && Peek.Text == s;

        private bool IsKeyword(string s) => Peek.Kind == TokenKind.Identifier && Peek.Text == s;

        private void Expect(string symbol)
        {
            if (!IsSymbol(symbol))
            {
                throw new FhirPathException(
                    Peek.Kind == TokenKind.End ? $"Expected '{symbol}' but the expression ended" : $"Expected '{symbol}' but found '{Peek.Text}'",
                    Peek.Position);
            }
            _i++;
        }

        public AstNode Expression() => Implies();

        private AstNode Implies()
        {
            var left = Or();
            if (IsKeyword("implies"))
            {
                var t = Next();
                return new BinaryNode("implies", left, Implies(), t.Position);
            }
            return left;
        }

        private AstNode Or()
        {
            var left = And();
            while (IsKeyword("or") || IsKeyword("xor"))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, And(), t.Position);
            }
            return left;
        }

        private AstNode And()
        {
            var left = Membership();
            while (IsKeyword("and"))
            {
                var t = Next();
                left = new BinaryNode("and", left, Membership(), t.Position);
            }
            return left;
        }

        private AstNode Membership()
        {
            var left = Equality();
            while (IsKeyword("in") || IsKeyword("contains"))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, Equality(), t.Position);
            }
            return left;
        }

        private AstNode Equality()
        {
            var left = Inequality();
            while (IsSymbol("=") || IsSymbol("~") || IsSymbol("!=") || IsSymbol("!~"))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, Inequality(), t.Position);
            }
            return left;
        }

        private AstNode Inequality()
        {
            var left = Union();
            while (IsSymbol("<") || IsSymbol(">") || IsSymbol("<=") || IsSymbol(">="))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, Union(), t.Position);
            }
            return left;
        }

        private AstNode Union()
        {
            var left = TypeExpression();
            while (IsSymbol("|"))
            {
                var t = Next();
                left = new BinaryNode("|", left, TypeExpression(), t.Position);
            }
            return left;
        }

        private AstNode TypeExpression()
        {
            var left = Additive();
            while (IsKeyword("is") || IsKeyword("as"))
            {
                var t = Next();
                left = new TypeOperatorNode(t.Text, left, TypeSpecifier(), t.Position);
            }
            return left;
        }

        private string TypeSpecifier()
        {
            var name = Identifier();
            while (IsSymbol("."))
            {
                _i++;
                name += "." + Identifier();
            }
            return name;
        }

        private string Identifier()
        {
            var t = Peek;
            if (t.Kind is TokenKind.Identifier or TokenKind.DelimitedIdentifier)
            {
                _i++;
                return t.Text;
            }
            throw new FhirPathException(t.Kind == TokenKind.End ? "Expected an identifier but the expression ended" : $"Expected an identifier but found '{t.Text}'", t.Position);
        }

        private AstNode Additive()
        {
            var left = Multiplicative();
            while (IsSymbol("+") || IsSymbol("-") || IsSymbol("&"))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, Multiplicative(), t.Position);
            }
            return left;
        }

        private AstNode Multiplicative()
        {
            var left = Polarity();
            while (IsSymbol("*") || IsSymbol("/") || IsKeyword("div") || IsKeyword("mod"))
            {
                var t = Next();
                left = new BinaryNode(t.Text, left, Polarity(), t.Position);
            }
            return left;
        }

        private AstNode Polarity()
        {
            if (IsSymbol("+") || IsSymbol("-"))
            {
                var t = Next();
                var operand = Polarity();
                // Fold "-5" and "-1.5" into literals so they behave as the numbers they read as.
                if (t.Text == "-" && operand is LiteralNode { Value: long l })
                {
                    return new LiteralNode(-l, t.Position);
                }
                if (t.Text == "-" && operand is LiteralNode { Value: decimal d })
                {
                    return new LiteralNode(-d, t.Position);
                }
                if (t.Text == "-" && operand is LiteralNode { Value: FhirPathQuantity q })
                {
                    return new LiteralNode(q with { Value = -q.Value }, t.Position);
                }
                return new UnaryNode(t.Text, operand, t.Position);
            }
            return Postfix();
        }

        private AstNode Postfix()
        {
            var node = Term();
            while (true)
            {
                if (IsSymbol("."))
                {
                    _i++;
                    var t = Peek;
                    var name = Identifier();
                    if (IsSymbol("(") && t.Kind == TokenKind.Identifier)
                    {
                        node = new FunctionNode(node, name, Arguments(), t.Position);
                    }
                    else
                    {
                        node = new MemberNode(node, name, t.Position);
                    }
                }
                else if (IsSymbol("["))
                {
                    var t = Next();
                    var index = Expression();
                    Expect("]");
                    node = new IndexerNode(node, index, t.Position);
                }
                else
                {
                    return node;
                }
            }
        }

        private ImmutableArray<AstNode> Arguments()
        {
            Expect("(");
            var args = ImmutableArray.CreateBuilder<AstNode>();
            if (!IsSymbol(")"))
            {
                args.Add(Expression());
                while (IsSymbol(","))
                {
                    _i++;
                    args.Add(Expression());
                }
            }
            Expect(")");
            return args.ToImmutable();
        }

        private AstNode Term()
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.End:
                    throw new FhirPathException("Unexpected end of expression", t.Position);
                case TokenKind.String:
                    _i++;
                    return new LiteralNode(t.Text, t.Position);
                case TokenKind.Integer:
                case TokenKind.Decimal:
                    _i++;
                    return NumberOrQuantity(t);
                case TokenKind.LongInteger:
                    _i++;
                    return new LiteralNode(long.Parse(t.Text, CultureInfo.InvariantCulture), t.Position);
                case TokenKind.DateTime:
                    _i++;
                    return DateLiteral(t);
                case TokenKind.Time:
                    _i++;
                    return FhirPathTime.Parse(t.Text) is { } time
                        ? new LiteralNode(time, t.Position)
                        : throw new FhirPathException($"Invalid time literal '@T{t.Text}'", t.Position);
                case TokenKind.Constant:
                    _i++;
                    return new ConstantNode(t.Text, t.Position);
                case TokenKind.Variable:
                    _i++;
                    return t.Text is "this" or "index" or "total"
                        ? new VariableNode(t.Text, t.Position)
                        : throw new FhirPathException($"Unknown variable '${t.Text}'", t.Position);
                case TokenKind.DelimitedIdentifier:
                    _i++;
                    return new MemberNode(null, t.Text, t.Position);
                case TokenKind.Identifier:
                    _i++;
                    if (t.Text is "true" or "false")
                    {
                        return new LiteralNode(t.Text == "true", t.Position);
                    }
                    if (IsSymbol("("))
                    {
                        return new FunctionNode(null, t.Text, Arguments(), t.Position);
                    }
                    return new MemberNode(null, t.Text, t.Position);
                case TokenKind.Symbol when t.Text == "(":
                    {
                        _i++;
                        var inner = Expression();
                        Expect(")");
                        return inner;
                    }
                case TokenKind.Symbol when t.Text == "{":
                    _i++;
                    Expect("}");
                    return new LiteralNode(null, t.Position);
                default:
                    throw new FhirPathException($"Unexpected '{t.Text}'", t.Position);
            }
        }

        private LiteralNode NumberOrQuantity(Token t)
        {
            // Cast to object: a ?: of long and decimal would silently widen the integer to decimal.
            object value = t.Kind == TokenKind.Integer && long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var l)
                ? (object)l
                : decimal.Parse(t.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            if (Peek.Kind == TokenKind.String)
            {
                var unit = Next().Text;
                return new LiteralNode(new FhirPathQuantity(ToDecimal(value), unit), t.Position);
            }
            if (Peek.Kind == TokenKind.Identifier && Units.CalendarUnit(Peek.Text) is not null)
            {
                var unit = Next().Text;
                return new LiteralNode(new FhirPathQuantity(ToDecimal(value), unit), t.Position);
            }
            return new LiteralNode(value, t.Position);
        }

        private static decimal ToDecimal(object v) => v is long l ? l : (decimal)v;

        private static LiteralNode DateLiteral(Token t)
        {
            var text = t.Text;
            if (!text.Contains('T'))
            {
                return FhirPathDate.Parse(text) is { } d
                    ? new LiteralNode(d, t.Position)
                    : throw new FhirPathException($"Invalid date literal '@{text}'", t.Position);
            }
            return FhirPathDateTime.Parse(text) is { } dt
                ? new LiteralNode(dt, t.Position)
                : throw new FhirPathException($"Invalid date/time literal '@{text}'", t.Position);
        }
    }
}
