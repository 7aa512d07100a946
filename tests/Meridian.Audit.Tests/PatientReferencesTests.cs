using System.Text;
using Meridian.Audit.Internal;

namespace Meridian.Audit.Tests;

/// <summary>The patients an audited read names, found by scanning the response body's top level.</summary>
public sealed class PatientReferencesTests
{
    [Theory]
    [InlineData("{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Patient/p1\"}}", "Patient/p1")]
    [InlineData("{\"resourceType\":\"Encounter\",\"subject\":{\"display\":\"x\",\"reference\":\"http://h/fhir/Patient/p2/_history/4\"},\"code\":{\"coding\":[{\"code\":\"c\"}]}}", "Patient/p2")]
    [InlineData("{\"resourceType\":\"Coverage\",\"beneficiary\":{\"reference\":\"Patient/b\"},\"patient\":{\"reference\":\"Patient/a\"}}", "Patient/a,Patient/b")]
    [InlineData("{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Group/g1\"}}", "")]
    [InlineData("{\"resourceType\":\"Observation\",\"subject\":\"Patient/p1\"}", "")]
    [InlineData("{\"resourceType\":\"Observation\",\"contained\":[{\"subject\":{\"reference\":\"Patient/inner\"}}],\"focus\":{\"subject\":{\"reference\":\"Patient/nested\"}}}", "")]
    [InlineData("{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Patient/p1\"}", "")]
    [InlineData("{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Patient/p1\"}} trailing", "")]
    [InlineData("[{\"subject\":{\"reference\":\"Patient/p1\"}}]", "")]
    [InlineData("{\"subject\":{\"reference\":\"Patient/first\"},\"subject\":{\"reference\":\"Patient/last\"}}", "Patient/last")]
    [InlineData("{\"subject\":{\"reference\":\"Patient/p1\",\"reference\":7}}", "")]
    public void A_resource_body_names_the_patient_of_its_subject_patient_or_beneficiary(string body, string expected)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        PatientReferences.FromResource("Observation", "o1", Encoding.UTF8.GetBytes(body), found);
        Assert.Equal(expected, string.Join(",", found));
    }

    [Fact]
    public void A_patient_is_named_by_its_own_id_without_reading_the_body()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        PatientReferences.FromResource("Patient", "p7", Encoding.UTF8.GetBytes("not json"), found);
        Assert.Equal(["Patient/p7"], found);
    }
}
