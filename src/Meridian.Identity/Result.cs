namespace Meridian.Identity;

/// <summary>An expected failure: an OAuth error code (<c>invalid_token</c>, <c>invalid_grant</c>…) and a description safe to show the caller.</summary>
public sealed record AuthError(string Code, string Description)
{
    public override string ToString() => $"{Code}: {Description}";
}

#pragma warning disable CA1000 // Result<T>.Ok/Fail read best at call sites

/// <summary>A value or an <see cref="AuthError"/>: token and grant failures are expected, not exceptional.</summary>
public readonly record struct Result<T>
{
    private readonly T? _value;

    private Result(T? value, AuthError? error)
    {
        _value = value;
        Error = error;
    }

    public AuthError? Error { get; }

    public bool IsSuccess => Error is null;

    public T Value => Error is null ? _value! : throw new InvalidOperationException("No value: " + Error);

    public static Result<T> Ok(T value) => new(value, null);

    public static Result<T> Fail(string code, string description) => new(default, new AuthError(code, description));

    public static Result<T> Fail(AuthError error) => new(default, error);

    public static implicit operator Result<T>(AuthError error) => Fail(error);
}
