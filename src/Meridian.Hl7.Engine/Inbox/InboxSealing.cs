using System.Security.Cryptography;
using System.Text;
using Meridian.Storage;
using Meridian.Storage.Protection;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// Which inbox and error-store columns are sealed with the tenant's envelope encryption (ADR 0016)
/// and under which associated data. Sealed: the raw message, the ordering key (a patient
/// identifier) and the reasons (processing errors quote segments). Clear: what operators filter
/// by — sender, control id, message type, times, states. The address binds each payload to its
/// row's identity, so a payload copied into another row or tenant does not open.
/// </summary>
internal static class InboxSealing
{
    public const string InboxRaw = "hl7_inbox.raw";
    public const string InboxOrderingKey = "hl7_inbox.ordering_key";
    public const string InboxReason = "hl7_inbox.reason";
    public const string ErrorRaw = "hl7_errors.raw";
    public const string ErrorReason = "hl7_errors.reason";

    /// <summary>An inbox row is unique by (tenant, sender, MSH-10): its payloads are bound to that.</summary>
    public static PayloadAddress Inbox(string tenant, string column, string sender, string controlId) =>
        new(tenant, column, sender + "\n" + controlId, 0);

    /// <summary>An error row has no natural key before insert: bound to its clear identifying columns.
    /// A processing error's raw is the inbox row's sealed raw, copied as is (so bound to the inbox row).</summary>
    public static PayloadAddress Error(string tenant, string column, string? sender, string? controlId, long occurredAtTicks) =>
        new(tenant, column, (sender ?? "") + "\n" + (controlId ?? "") + "\n" + occurredAtTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), 0);

    public static async ValueTask<byte[]?> SealTextAsync(IModuleSealer sealer, PayloadAddress address, string? text, CancellationToken ct) =>
        text is null ? null : await sealer.SealAsync(address, Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);

    public static async ValueTask<string?> OpenTextAsync(IModuleSealer sealer, PayloadAddress address, byte[]? stored, CancellationToken ct) =>
        stored is null ? null : Encoding.UTF8.GetString(await sealer.OpenAsync(address, stored, ct).ConfigureAwait(false));

    /// <summary>
    /// 16 bits of SHA-256 over (tenant, sender, ordering key). Coarse on purpose: the column is
    /// clear (claims compare it), and 65,536 buckets map many identifiers to each value, so it
    /// does not single out a patient; two keys sharing a bucket only means they are not processed
    /// on two nodes at the same time, never that order is broken.
    /// </summary>
    public static long Bucket(string tenant, string sender, string? orderingKey)
    {
        if (string.IsNullOrEmpty(orderingKey))
        {
            return 0;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(tenant + "\n" + sender + "\n" + orderingKey), hash);
        return 1 + ((hash[0] << 8) | hash[1]);
    }
}
