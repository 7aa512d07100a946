namespace Meridian.Subscriptions.Tests;

/// <summary>FHIR JSON the tests write (plain concatenation: JSON braces and interpolation do not mix well).</summary>
public static class Resources
{
    private const string Backport = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";

    public static string R4Subscription(string criteria, string endpoint, string? payload = "application/fhir+json", params string[] headers)
    {
        var h = headers.Length == 0 ? "" : ", \"header\": [" + string.Join(", ", headers.Select(x => "\"" + x + "\"")) + "]";
        var p = payload is null ? "" : ", \"payload\": \"" + payload + "\"";
        return "{\"resourceType\":\"Subscription\",\"status\":\"requested\",\"reason\":\"test\",\"criteria\":\"" + criteria
            + "\",\"channel\":{\"type\":\"rest-hook\",\"endpoint\":\"" + endpoint + "\"" + p + h + "}}";
    }

    public static string WebSocketSubscription(string criteria) =>
        "{\"resourceType\":\"Subscription\",\"status\":\"requested\",\"reason\":\"test\",\"criteria\":\"" + criteria + "\",\"channel\":{\"type\":\"websocket\"}}";

    public static string Topic(string url, string resourceType, params string[] interactions)
    {
        var inter = string.Concat(interactions.Select(i => ",{\"url\":\"supportedInteraction\",\"valueCode\":\"" + i + "\"}"));
        return "{\"resourceType\":\"Basic\",\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/fhir-types\",\"code\":\"SubscriptionTopic\"}]},"
            + "\"extension\":[{\"url\":\"http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url\",\"valueUri\":\"" + url + "\"},"
            + "{\"url\":\"http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.resourceTrigger\",\"extension\":["
            + "{\"url\":\"resource\",\"valueUri\":\"http://hl7.org/fhir/StructureDefinition/" + resourceType + "\"}" + inter + "]}]}";
    }

    public static string BackportSubscription(string topic, string endpoint, string content, string? filter = null, int? heartbeatSeconds = null, string channel = "rest-hook")
    {
        var f = filter is null ? "" : ",\"_criteria\":{\"extension\":[{\"url\":\"" + Backport + "backport-filter-criteria\",\"valueString\":\"" + filter + "\"}]}";
        var hb = heartbeatSeconds is null ? "" : ",\"extension\":[{\"url\":\"" + Backport + "backport-heartbeat-period\",\"valueUnsignedInt\":" + heartbeatSeconds + "}]";
        var ep = channel == "rest-hook" ? ",\"endpoint\":\"" + endpoint + "\"" : "";
        return "{\"resourceType\":\"Subscription\",\"meta\":{\"profile\":[\"" + Backport + "backport-subscription\"]},"
            + "\"status\":\"requested\",\"reason\":\"test\",\"criteria\":\"" + topic + "\"" + f + ","
            + "\"channel\":{\"type\":\"" + channel + "\"" + ep + ",\"payload\":\"application/fhir+json\"" + hb + ","
            + "\"_payload\":{\"extension\":[{\"url\":\"" + Backport + "backport-payload-content\",\"valueCode\":\"" + content + "\"}]}}}";
    }

    public static string Observation(string code, string? patient = null) =>
        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" + code + "\"}]}"
        + (patient is null ? "" : ",\"subject\":{\"reference\":\"Patient/" + patient + "\"}") + "}";

    public static string Patient(string family) => "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}";

    public static string Encounter(string patient) =>
        "{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"}}";
}
