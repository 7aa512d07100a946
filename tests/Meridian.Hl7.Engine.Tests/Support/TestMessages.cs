using System.Text;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>HL7 v2 messages for the engine tests (segments separated by CR).</summary>
internal static class TestMessages
{
    public static string Adt(string controlId, string patientId, string app = "ADTAPP", string facility = "HOSP", string version = "2.5.1", string? acceptAck = null, string? appAck = null) =>
        $"MSH|^~\\&|{app}|{facility}|MERIDIAN|MERIDIAN|20240102030405||ADT^A01^ADT_A01|{controlId}|P|{version}|||{acceptAck}|{appAck}\r" +
        $"EVN|A01|20240102030405\r" +
        $"PID|1||{patientId}^^^HOSP^MR||Doe^Jane||19800101|F\r" +
        "PV1|1|I|W^101^1\r";

    /// <summary>ADT^A08 (patient update) carrying <paramref name="family"/> as the patient's family name.</summary>
    public static string AdtUpdate(string controlId, string patientId, string family) =>
        $"MSH|^~\\&|ADTAPP|HOSP|MERIDIAN|MERIDIAN|20240102030405||ADT^A08^ADT_A01|{controlId}|P|2.5.1\r" +
        $"EVN|A08|20240102030405\r" +
        $"PID|1||{patientId}^^^HOSP^MR||{family}^Jane||19800101|F\r" +
        "PV1|1|I|W^101^1\r";

    public static string Oru(string controlId, string patientId, int observations = 10, string app = "LAB", string facility = "HOSP", string? acceptAck = null) =>
        new StringBuilder()
            .Append($"MSH|^~\\&|{app}|{facility}|MERIDIAN|MERIDIAN|20240102030405||ORU^R01^ORU_R01|{controlId}|P|2.5.1|||{acceptAck}|\r")
            .Append($"PID|1||{patientId}^^^HOSP^MR||Doe^John||19700101|M\r")
            .Append("OBR|1|ORD1|FIL1|24331-1^Lipid panel^LN|||20240102030000\r")
            .Append(string.Concat(Enumerable.Range(1, observations).Select(i =>
                $"OBX|{i}|NM|2093-3^Cholesterol^LN||{180 + i}|mg/dL|<200||||F|||20240102030000\r")))
            .ToString();

    public static byte[] Bytes(string message) => Encoding.UTF8.GetBytes(message);

    /// <summary>MSA-1 of an acknowledgment.</summary>
    public static string AckCode(byte[] ack) => Field(ack, "MSA", 1);

    /// <summary>A field of the first segment named <paramref name="segment"/> (MSH fields count from MSH-1 = "|").</summary>
    public static string Field(byte[] message, string segment, int field)
    {
        foreach (var s in Encoding.UTF8.GetString(message).Split('\r'))
        {
            if (s.StartsWith(segment + "|", StringComparison.Ordinal))
            {
                var fields = s.Split('|');
                var index = segment == "MSH" ? field - 1 : field;
                return index < fields.Length ? fields[index] : "";
            }
        }
        return "";
    }
}
