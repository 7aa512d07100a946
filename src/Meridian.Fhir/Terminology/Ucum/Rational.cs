using System.Globalization;
using System.Numerics;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// An exact fraction. UCUM magnitudes are products of decimal constants (prefixes up to 10^±24,
/// [pi] to 64 digits, powers such as Ym2 = 10^48) that overflow or lose digits in
/// <see cref="decimal"/>; keeping them exact and rounding once at the API edge makes conversions
/// as precise as a decimal result can be. Only used when a unit is canonicalised (cached) or on
/// the slow path of a value conversion.
/// </summary>
internal readonly struct Rational : IEquatable<Rational>
{
    private static readonly BigInteger s_decimalLimit = BigInteger.Pow(2, 96);

    public BigInteger Numerator { get; }

    /// <summary>Always positive; the fraction is kept in lowest terms.</summary>
    public BigInteger Denominator { get; }

    public static Rational One => new(BigInteger.One, BigInteger.One);

    public static Rational Zero => new(BigInteger.Zero, BigInteger.One);

    /// <summary>Callers guarantee lowest terms and a positive denominator.</summary>
    private Rational(BigInteger numerator, BigInteger denominator)
    {
        Numerator = numerator;
        Denominator = denominator;
    }

    public static Rational Create(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero)
        {
            throw new DivideByZeroException("Rational with zero denominator");
        }
        if (denominator.Sign < 0)
        {
            numerator = -numerator;
            denominator = -denominator;
        }
        var gcd = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!gcd.IsOne && !gcd.IsZero)
        {
            numerator /= gcd;
            denominator /= gcd;
        }
        return new Rational(numerator, denominator);
    }

    public static Rational FromInteger(BigInteger value) => new(value, BigInteger.One);

    public bool IsZero => Numerator.IsZero;

    public bool IsOne => Numerator.IsOne && Denominator.IsOne;

    public int Sign => Numerator.Sign;

    public static Rational operator *(Rational a, Rational b) =>
        Create(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static Rational operator /(Rational a, Rational b) =>
        Create(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    public static Rational operator +(Rational a, Rational b) =>
        Create((a.Numerator * b.Denominator) + (b.Numerator * a.Denominator), a.Denominator * b.Denominator);

    public static Rational operator -(Rational a, Rational b) =>
        Create((a.Numerator * b.Denominator) - (b.Numerator * a.Denominator), a.Denominator * b.Denominator);

    public static bool operator ==(Rational a, Rational b) => a.Equals(b);

    public static bool operator !=(Rational a, Rational b) => !a.Equals(b);

    public Rational Pow(int exponent)
    {
        if (exponent == 0)
        {
            return One;
        }
        var n = BigInteger.Pow(Numerator, Math.Abs(exponent));
        var d = BigInteger.Pow(Denominator, Math.Abs(exponent));
        return exponent > 0 ? Create(n, d) : Create(d, n);
    }

    public static Rational FromDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = new BigInteger((uint)bits[0]) | (new BigInteger((uint)bits[1]) << 32) | (new BigInteger((uint)bits[2]) << 64);
        var scale = (bits[3] >> 16) & 0xFF;
        if (bits[3] < 0)
        {
            mantissa = -mantissa;
        }
        return Create(mantissa, BigInteger.Pow(10, scale));
    }

    /// <summary>Parses a plain or scientific decimal literal ("6.02214076", "1e-24", "254e-2") exactly.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Rational value)
    {
        value = Zero;
        var exponent = 0;
        var e = text.IndexOfAny('e', 'E');
        if (e >= 0)
        {
            if (!int.TryParse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            {
                return false;
            }
            text = text[..e];
        }
        var negative = false;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }
        var mantissa = BigInteger.Zero;
        var fractionDigits = 0;
        var seenPoint = false;
        var seenDigit = false;
        foreach (var c in text)
        {
            if (c == '.' && !seenPoint)
            {
                seenPoint = true;
                continue;
            }
            if (c is < '0' or > '9')
            {
                return false;
            }
            seenDigit = true;
            mantissa = (mantissa * 10) + (c - '0');
            if (seenPoint)
            {
                fractionDigits++;
            }
        }
        if (!seenDigit)
        {
            return false;
        }
        if (negative)
        {
            mantissa = -mantissa;
        }
        var power = exponent - fractionDigits;
        value = power >= 0
            ? FromInteger(mantissa * BigInteger.Pow(10, power))
            : Create(mantissa, BigInteger.Pow(10, -power));
        return true;
    }

    /// <summary>
    /// Rounds to the nearest <see cref="decimal"/> (as many fractional digits as fit, trailing
    /// zeros removed); false when the magnitude is beyond the decimal range.
    /// </summary>
    public bool TryToDecimal(out decimal value)
    {
        value = 0m;
        if (IsZero)
        {
            return true;
        }
        var absolute = BigInteger.Abs(Numerator);
        if (absolute / Denominator >= s_decimalLimit)
        {
            return false;
        }
        // Largest scale whose rounded mantissa still fits the 96-bit decimal mantissa.
        var integerDigits = (absolute / Denominator).IsZero ? 0 : (int)Math.Floor(BigInteger.Log10(absolute / Denominator)) + 1;
        var scale = Math.Min(28, 29 - integerDigits);
        BigInteger mantissa;
        while (true)
        {
            var scaled = absolute * BigInteger.Pow(10, scale);
            mantissa = BigInteger.DivRem(scaled, Denominator, out var remainder);
            if (remainder * 2 >= Denominator)
            {
                mantissa += 1;
            }
            if (mantissa < s_decimalLimit || scale == 0)
            {
                break;
            }
            scale--;
        }
        if (mantissa >= s_decimalLimit)
        {
            return false;
        }
        while (scale > 0 && !mantissa.IsZero && (mantissa % 10).IsZero)
        {
            mantissa /= 10;
            scale--;
        }
        var lo = (int)(uint)(mantissa & uint.MaxValue);
        var mid = (int)(uint)((mantissa >> 32) & uint.MaxValue);
        var hi = (int)(uint)((mantissa >> 64) & uint.MaxValue);
        value = new decimal(lo, mid, hi, Numerator.Sign < 0, (byte)scale);
        return true;
    }

    /// <summary>True when this fraction is a decimal without any rounding.</summary>
    public bool TryToExactDecimal(out decimal value) =>
        TryToDecimal(out value) && FromDecimal(value) == this;

    public bool Equals(Rational other) => Numerator == other.Numerator && Denominator == other.Denominator;

    public override bool Equals(object? obj) => obj is Rational r && Equals(r);

    public override int GetHashCode() => HashCode.Combine(Numerator, Denominator);

    public override string ToString() =>
        Denominator.IsOne ? Numerator.ToString(CultureInfo.InvariantCulture) : $"{Numerator}/{Denominator}";
}
