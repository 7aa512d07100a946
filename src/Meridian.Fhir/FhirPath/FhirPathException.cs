namespace Meridian.Fhir.FhirPath;

/// <summary>A FHIRPath syntax, semantic or execution error. <see cref="Position"/> is the
/// zero-based character offset in the expression, or -1 when the error has no single place.</summary>
public sealed class FhirPathException : Exception
{
    public FhirPathException(string message, int position = -1)
        : base(position >= 0 ? $"{message} (at position {position})" : message)
    {
        Position = position;
        Reason = message;
    }

    public FhirPathException() : this("FHIRPath error") { }

    public FhirPathException(string message, Exception innerException) : base(message, innerException)
    {
        Position = -1;
        Reason = message;
    }

    public int Position { get; }

    /// <summary>The message without the position suffix.</summary>
    public string Reason { get; }
}
