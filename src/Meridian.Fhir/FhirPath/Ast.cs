using System.Collections.Immutable;

namespace Meridian.Fhir.FhirPath;

/// <summary>Immutable FHIRPath syntax tree. <see cref="Position"/> is the character offset where the node starts.</summary>
public abstract record AstNode(int Position);

/// <summary>A literal System value (string, bool, long, decimal, date/time, quantity); null value means <c>{}</c>.</summary>
public sealed record LiteralNode(object? Value, int Position) : AstNode(Position);

/// <summary>An element name: <c>Source.Name</c>, or a bare <c>Name</c> on the current focus when Source is null.</summary>
public sealed record MemberNode(AstNode? Source, string Name, int Position) : AstNode(Position);

/// <summary>A function call: <c>Source.Name(args)</c>, or a bare <c>Name(args)</c> on the current focus.</summary>
public sealed record FunctionNode(AstNode? Source, string Name, ImmutableArray<AstNode> Arguments, int Position) : AstNode(Position);

public sealed record IndexerNode(AstNode Source, AstNode Index, int Position) : AstNode(Position);

/// <summary>Unary <c>+</c> or <c>-</c>.</summary>
public sealed record UnaryNode(string Operator, AstNode Operand, int Position) : AstNode(Position);

public sealed record BinaryNode(string Operator, AstNode Left, AstNode Right, int Position) : AstNode(Position);

/// <summary><c>x is T</c> / <c>x as T</c> with a (possibly qualified) type name.</summary>
public sealed record TypeOperatorNode(string Operator, AstNode Operand, string TypeName, int Position) : AstNode(Position);

/// <summary><c>$this</c>, <c>$index</c>, <c>$total</c>.</summary>
public sealed record VariableNode(string Name, int Position) : AstNode(Position);

/// <summary><c>%name</c>.</summary>
public sealed record ConstantNode(string Name, int Position) : AstNode(Position);
