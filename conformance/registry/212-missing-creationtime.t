# ITI TF-3 4.2.3.2: creationTime is required of a DocumentEntry; without
# it the registry refuses the submission with XDSRegistryMetadataError.
test = missing-creationtime
title = A DocumentEntry without its required creationTime slot
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSRegistryMetadataError
---
@{sor}
@{ss id=n9 uid=$uid:n9}
<rim:ExtrinsicObject id="$uuid:n9d" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" mimeType="text/plain">
 <rim:Slot name="languageCode"><rim:ValueList><rim:Value>nl-NL</rim:Value></rim:ValueList></rim:Slot>
 <rim:Slot name="sourcePatientId"><rim:ValueList><rim:Value>$patient</rim:Value></rim:ValueList></rim:Slot>
 @{slots-reg hash=0a4d55a8d778e5022fab701977c5d840bbc486d0 size=11 repo=1.3.6.1.4.1.21367.13.71.1}
 <rim:Name><rim:LocalizedString value="Report"/></rim:Name>
 <rim:Classification id="$uuid:n9d-c1" classifiedObject="$uuid:n9d" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" nodeRepresentation=""><rim:Slot name="authorPerson"><rim:ValueList><rim:Value>^Tester^T^^^</rim:Value></rim:ValueList></rim:Slot></rim:Classification>
 @{code id=n9d n=2 scheme=urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a code=REPORTS cs=1.3.6.1.4.1.19376.1.2.6.1}
 @{code id=n9d n=3 scheme=urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f code=N cs=2.16.840.1.113883.5.25}
 @{code id=n9d n=4 scheme=urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d code=urn:ihe:iti:xds:2017:mimeTypeSufficient cs=1.3.6.1.4.1.19376.1.2.3}
 @{code id=n9d n=5 scheme=urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1 code=22232009 cs=2.16.840.1.113883.6.96}
 @{code id=n9d n=6 scheme=urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead code=394802001 cs=2.16.840.1.113883.6.96}
 @{code id=n9d n=7 scheme=urn:uuid:f0306f51-975f-434e-a61c-c59651d33983 code=11488-4 cs=2.16.840.1.113883.6.1}
 <rim:ExternalIdentifier id="$uuid:n9d-e1" registryObject="$uuid:n9d" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="$patient"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>
 <rim:ExternalIdentifier id="$uuid:n9d-e2" registryObject="$uuid:n9d" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" value="$uid:n9d"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
</rim:ExtrinsicObject>
@{member id=n9a from=n9 to=n9d}
@{sor-end}
