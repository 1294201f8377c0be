/*
 * vocab.h: the one vocabulary of xdsnode.
 *
 * Every namespace, wsa:Action, ebRIM UUID, status, association type and
 * error code the node speaks is defined here and nowhere else.  Values
 * are from ITI TF-2/TF-3 and were cross-checked against two independent
 * code bases.
 */
#ifndef XDS_VOCAB_H
#define XDS_VOCAB_H

/* Namespaces */
#define NS_SOAP12	"http://www.w3.org/2003/05/soap-envelope"
#define NS_SOAP11	"http://schemas.xmlsoap.org/soap/envelope/"
#define NS_WSA		"http://www.w3.org/2005/08/addressing"
#define NS_XOP		"http://www.w3.org/2004/08/xop/include"
#define NS_XDSB		"urn:ihe:iti:xds-b:2007"
#define NS_LCM		"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
#define NS_RIM		"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
#define NS_QUERY	"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
#define NS_RS		"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
#define NS_XDSI		"urn:ihe:rad:xdsi-b:2009"
#define NS_RMD		"urn:ihe:iti:rmd:2017"
#define NS_RIM21	"urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1"
#define NS_QUERY21	"urn:oasis:names:tc:ebxml-regrep:query:xsd:2.1"
#define NS_RS21		"urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1"
#define WSA_ANONYMOUS	"http://www.w3.org/2005/08/addressing/anonymous"
/* WSDL 1.1, its SOAP 1.2 binding and WS-Policy (the ?wsdl document) */
#define NS_XSD		"http://www.w3.org/2001/XMLSchema"
#define NS_WSDL		"http://schemas.xmlsoap.org/wsdl/"
#define NS_WSDL_SOAP12	"http://schemas.xmlsoap.org/wsdl/soap12/"
#define NS_WSAM		"http://www.w3.org/2007/05/addressing/metadata"
#define NS_WSP		"http://www.w3.org/ns/ws-policy"
#define NS_WSU		"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define NS_WSOMA	"http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization"
#define SOAP_HTTP_TRANSPORT "http://schemas.xmlsoap.org/soap/http"

/* Content types */
#define CT_SOAP12	"application/soap+xml"
#define CT_XOP		"application/xop+xml"
#define CT_MULTIPART_RELATED "multipart/related"

/* wsa:Action values */
#define ACT_ITI41	"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
#define ACT_ITI41_RSP	"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"
#define ACT_ITI42	"urn:ihe:iti:2007:RegisterDocumentSet-b"
#define ACT_ITI42_RSP	"urn:ihe:iti:2007:RegisterDocumentSet-bResponse"
#define ACT_ITI18	"urn:ihe:iti:2007:RegistryStoredQuery"
#define ACT_ITI18_RSP	"urn:ihe:iti:2007:RegistryStoredQueryResponse"
#define ACT_ITI43	"urn:ihe:iti:2007:RetrieveDocumentSet"
#define ACT_ITI43_RSP	"urn:ihe:iti:2007:RetrieveDocumentSetResponse"
#define ACT_ITI38	"urn:ihe:iti:2007:CrossGatewayQuery"
#define ACT_ITI38_RSP	"urn:ihe:iti:2007:CrossGatewayQueryResponse"
#define ACT_ITI39	"urn:ihe:iti:2007:CrossGatewayRetrieve"
#define ACT_ITI39_RSP	"urn:ihe:iti:2007:CrossGatewayRetrieveResponse"
#define ACT_ITI62	"urn:ihe:iti:2010:DeleteDocumentSet"
#define ACT_ITI62_RSP	"urn:ihe:iti:2010:DeleteDocumentSetResponse"
#define ACT_ITI86	"urn:ihe:iti:2017:RemoveDocuments"
#define ACT_ITI86_RSP	"urn:ihe:iti:2017:RemoveDocumentsResponse"
#define ACT_ITI57	"urn:ihe:iti:2010:UpdateDocumentSet"
#define ACT_ITI57_RSP	"urn:ihe:iti:2010:UpdateDocumentSetResponse"
#define ACT_RAD69	"urn:ihe:rad:2009:RetrieveImagingDocumentSet"
#define ACT_RAD69_RSP	ACT_ITI43_RSP	/* sic: RAD-69 answers with the ITI-43 action */
#define ACT_RAD75	"urn:ihe:rad:2011:CrossGatewayRetrieveImagingDocumentSet"
#define ACT_RAD75_RSP	"urn:ihe:rad:2011:CrossGatewayRetrieveImagingDocumentSetResponse"
#define ACT_SOAP_FAULT	"http://www.w3.org/2005/08/addressing/soap/fault"

/* Response status and severity */
#define ST_SUCCESS	"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
#define ST_FAILURE	"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
#define ST_PARTIAL	"urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
#define SEV_ERROR	"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
#define SEV_WARNING	"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"

/* Availability status */
#define STATUS_APPROVED		"urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
#define STATUS_DEPRECATED	"urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
#define STATUS_SUBMITTED	"urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted"

/* Object types and classification nodes */
#define OT_DE_STABLE	"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
#define OT_DE_ONDEMAND	"urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
#define NODE_SUBMISSIONSET "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define NODE_FOLDER	"urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
#define OT_REGISTRYPACKAGE "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"
#define OT_ASSOCIATION	"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association"
#define OT_CLASSIFICATION "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
#define OT_EXTERNALID	"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"

/* Classification schemes */
#define CS_DE_AUTHOR		"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
#define CS_DE_CLASSCODE		"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
#define CS_DE_CONFCODE		"urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
#define CS_DE_EVENTCODE		"urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
#define CS_DE_FORMATCODE	"urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
#define CS_DE_HCFTCODE		"urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
#define CS_DE_PRACTICECODE	"urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
#define CS_DE_TYPECODE		"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
#define CS_DE_LIMITED		"urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"
#define CS_SS_AUTHOR		"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
#define CS_SS_CONTENTTYPE	"urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
#define CS_SS_LIMITED		"urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
#define CS_FOL_CODELIST		"urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5"
#define CS_FOL_LIMITED		"urn:uuid:2c144a76-29a9-4b7c-af54-b25409fe7d03"
#define CS_ASSOC_DOCUMENTATION	"urn:uuid:abd807a3-4432-4053-87b4-fd82c643d1f3"

/* External identifier schemes */
#define EI_DE_PATIENTID		"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
#define EI_DE_UNIQUEID		"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
#define EI_SS_PATIENTID		"urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
#define EI_SS_UNIQUEID		"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#define EI_SS_SOURCEID		"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
#define EI_FOL_PATIENTID	"urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"
#define EI_FOL_UNIQUEID		"urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"
#define EIN_DE_PATIENTID	"XDSDocumentEntry.patientId"
#define EIN_DE_UNIQUEID		"XDSDocumentEntry.uniqueId"
#define EIN_SS_PATIENTID	"XDSSubmissionSet.patientId"
#define EIN_SS_UNIQUEID		"XDSSubmissionSet.uniqueId"
#define EIN_SS_SOURCEID		"XDSSubmissionSet.sourceId"
#define EIN_FOL_PATIENTID	"XDSFolder.patientId"
#define EIN_FOL_UNIQUEID	"XDSFolder.uniqueId"

/* Slot names */
#define SLOT_CREATIONTIME	"creationTime"
#define SLOT_HASH		"hash"
#define SLOT_SIZE		"size"
#define SLOT_LANGUAGECODE	"languageCode"
#define SLOT_LEGALAUTH		"legalAuthenticator"
#define SLOT_REPOSITORYUID	"repositoryUniqueId"
#define SLOT_SERVICESTART	"serviceStartTime"
#define SLOT_SERVICESTOP	"serviceStopTime"
#define SLOT_SOURCEPATIENTID	"sourcePatientId"
#define SLOT_SOURCEPATIENTINFO	"sourcePatientInfo"
#define SLOT_URI		"URI"
#define SLOT_REFERENCEIDLIST	"urn:ihe:iti:xds:2013:referenceIdList"
#define SLOT_DOCAVAILABILITY	"documentAvailability"
#define SLOT_SUBMISSIONTIME	"submissionTime"
#define SLOT_INTENDEDRECIPIENT	"intendedRecipient"
#define SLOT_LASTUPDATETIME	"lastUpdateTime"
#define SLOT_CODINGSCHEME	"codingScheme"
#define SLOT_SSSTATUS		"SubmissionSetStatus"
#define SLOT_PREVIOUSVERSION	"PreviousVersion"
#define SLOT_ORIGINALSTATUS	"OriginalStatus"	/* Metadata Update */
#define SLOT_NEWSTATUS		"NewStatus"
#define SLOT_ASSOCPROPAGATION	"AssociationPropagation"
#define SLOT_AUTHORPERSON	"authorPerson"
#define SLOT_AUTHORINSTITUTION	"authorInstitution"
#define SLOT_AUTHORROLE		"authorRole"
#define SLOT_AUTHORSPECIALTY	"authorSpecialty"
#define SLOT_AUTHORTELECOM	"authorTelecommunication"
#define SSSTATUS_ORIGINAL	"Original"
#define SSSTATUS_REFERENCE	"Reference"
#define DOCAVAIL_ONLINE		"urn:ihe:iti:2010:DocumentAvailability:Online"
#define DOCAVAIL_OFFLINE	"urn:ihe:iti:2010:DocumentAvailability:Offline"
/* referenceIdList CXi types (ITI TF-3 4.2.3.2.28) */
#define REFID_STUDYUID		"urn:ihe:iti:xds:2016:studyInstanceUID"
#define REFID_ACCESSION		"urn:ihe:iti:xds:2013:accession"
/* XDS-I.b manifest codes: KOS SOP class as formatCode in the DICOM
 * UID registry scheme; modalities (eventCodeList) in DCM */
#define FMT_KOS			"1.2.840.10008.5.1.4.1.1.88.59"
#define CSCHEME_DICOM_UID	"1.2.840.10008.2.6.1"
#define CSCHEME_DCM		"1.2.840.10008.2.16.4"
/* File Meta PrivateInformationCreatorUID (0002,0100) of the header-only copy
 * of an instance that proxy mode keeps (dicom/shim/dcmfetch.h): its pixel data
 * are at the PACS.  UUID-derived (PS3.5 B.2). */
#define DICOM_PROXY_HEADER_UID	"2.25.183083931535934967093927136258582907088"
/* Uncompressed transfer syntaxes (PS3.5 10): every DICOM peer takes them */
#define TS_IMPLICIT_LE		"1.2.840.10008.1.2"
#define TS_EXPLICIT_LE		"1.2.840.10008.1.2.1"

/* Association types */
#define AT_HASMEMBER	"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
#define AT_RPLC		"urn:ihe:iti:2007:AssociationType:RPLC"
#define AT_APND		"urn:ihe:iti:2007:AssociationType:APND"
#define AT_XFRM		"urn:ihe:iti:2007:AssociationType:XFRM"
#define AT_XFRM_RPLC	"urn:ihe:iti:2007:AssociationType:XFRM_RPLC"
#define AT_SIGNS	"urn:ihe:iti:2007:AssociationType:signs"
#define AT_SNAPSHOT	"urn:ihe:iti:2010:AssociationType:IsSnapshotOf"
#define AT_UPDATESTATUS	"urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
#define AT_SUBMITASSOC	"urn:ihe:iti:2010:AssociationType:SubmitAssociation"

/* Stored query ids */
/* Stored query parameters naming the patient, the metadata level
 * (Metadata Update), and XCA's list of communities (ITI-38, answered by
 * the responding gateway) */
#define SQP_DE_PATIENTID	"$XDSDocumentEntryPatientId"
#define SQP_SS_PATIENTID	"$XDSSubmissionSetPatientId"
#define SQP_FOL_PATIENTID	"$XDSFolderPatientId"
#define SQP_PATIENTID		"$patientId"
#define SQP_METADATALEVEL	"$MetadataLevel"
#define SQP_TARGET_COMMUNITIES	"$targetCommunityIdList"
#define SQP_DE_UNIQUEID		"$XDSDocumentEntryUniqueId"
#define SQP_DE_CLASSCODE	"$XDSDocumentEntryClassCode"

#define SQ_FINDDOCUMENTS	"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
#define SQ_FINDSUBMISSIONSETS	"urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9"
#define SQ_FINDFOLDERS		"urn:uuid:958f3006-baad-4929-a4de-ff1114824431"
#define SQ_GETALL		"urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3"
#define SQ_GETDOCUMENTS		"urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
#define SQ_GETFOLDERS		"urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4"
#define SQ_GETASSOCIATIONS	"urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155"
#define SQ_GETDOCSANDASSOCS	"urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a"
#define SQ_GETSUBMISSIONSETS	"urn:uuid:51224314-5390-4169-9b91-b1980040715a"
#define SQ_GETSSANDCONTENTS	"urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83"
#define SQ_GETFOLDERANDCONTENTS	"urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7"
#define SQ_GETFOLDERSFORDOC	"urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578"
#define SQ_GETRELATEDDOCS	"urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6"
#define SQ_FINDDOCSBYREFID	"urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492"

/* Error codes */
#define ERR_MISSING_DOCUMENT		"XDSMissingDocument"
#define ERR_MISSING_DOCUMENT_METADATA	"XDSMissingDocumentMetadata"
#define ERR_REPOSITORY_METADATA		"XDSRepositoryMetadataError"
#define ERR_REPOSITORY			"XDSRepositoryError"
#define ERR_REPOSITORY_DUP_IN_MESSAGE	"XDSRepositoryDuplicateUniqueIdInMessage"
#define ERR_REPOSITORY_BUSY		"XDSRepositoryBusy"
#define ERR_REPOSITORY_OUT_OF_RESOURCES	"XDSRepositoryOutOfResources"
#define ERR_REGISTRY_NOT_AVAILABLE	"XDSRegistryNotAvailable"
#define ERR_REGISTRY			"XDSRegistryError"
#define ERR_REGISTRY_METADATA		"XDSRegistryMetadataError"
#define ERR_REGISTRY_DUP_IN_MESSAGE	"XDSRegistryDuplicateUniqueIdInMessage"
#define ERR_DUP_UNIQUEID_IN_REGISTRY	"XDSDuplicateUniqueIdInRegistry"
#define ERR_NON_IDENTICAL_HASH		"XDSNonIdenticalHash"
#define ERR_NON_IDENTICAL_SIZE		"XDSNonIdenticalSize"
#define ERR_UNKNOWN_PATIENTID		"XDSUnknownPatientId"
#define ERR_PATIENTID_MISMATCH		"XDSPatientIdDoesNotMatch"
#define ERR_DEPRECATED_DOCUMENT		"XDSRegistryDeprecatedDocumentError"
#define ERR_EXTRA_METADATA_NOT_SAVED	"XDSExtraMetadataNotSaved"
#define ERR_UNKNOWN_STORED_QUERY	"XDSUnknownStoredQuery"
#define ERR_SQ_MISSING_PARAM		"XDSStoredQueryMissingParam"
#define ERR_SQ_PARAM_NUMBER		"XDSStoredQueryParamNumber"
#define ERR_TOO_MANY_RESULTS		"XDSTooManyResults"
#define ERR_RESULT_NOT_SINGLE_PATIENT	"XDSResultNotSinglePatient"
#define ERR_UNKNOWN_REPOSITORY_ID	"XDSUnknownRepositoryId"
#define ERR_DOCUMENT_UNIQUEID		"XDSDocumentUniqueIdError"
#define ERR_MISSING_HOME		"XDSMissingHomeCommunityId"
#define ERR_UNKNOWN_COMMUNITY		"XDSUnknownCommunity"
#define ERR_UNAVAILABLE_COMMUNITY	"XDSUnavailableCommunity"
#define ERR_UNRESOLVED_REFERENCE	"UnresolvedReferenceException"
#define ERR_REFERENCES_EXIST		"ReferencesExistException"
#define ERR_UNREFERENCED_OBJECT		"XDSUnreferencedObjectException"
#define ERR_REGISTRY_BUSY		"XDSRegistryBusy"
#define ERR_REGISTRY_OUT_OF_RESOURCES	"XDSRegistryOutOfResources"
/* Metadata Update (ITI-57, ITI TF-2 3.57.4.1.3) */
#define ERR_MU_UPDATE			"XDSMetadataUpdateError"
#define ERR_MU_VERSION			"XDSMetadataVersionError"
#define ERR_MU_OPERATION		"XDSMetadataUpdateOperationError"
#define ERR_MU_PATIENT_RECONCILIATION	"XDSPatientIDReconciliationError"
#define ERR_MU_IDENTIFIER		"XDSMetadataIdentifierError"
#define ERR_MU_OBJECT_TYPE		"XDSObjectTypeError"
#define ERR_REMOVE_DOCUMENTS		"XDSRemoveDocumentsError"

/* Dutch identifiers: the BSN's assigning authority, as an OID (HL7) and as
 * the IssuerOfPatientID (0010,0021) of a BSN in a DICOM header, which is
 * also the assigningAuthorityName Mitz requires of a BSN */
#define OID_BSN		"2.16.840.1.113883.2.4.6.3"
#define DICOM_ISSUER_BSN	"NLMINBIZA"
/* An OID as a URI (home community ids, issuers): URN_OID + the OID */
#define URN_OID		"urn:oid:"

/* Mitz, the closed question (gesloten autorisatievraag): an XACML 3.0
 * request in the SAML 2.0 profile of XACML, over SOAP 1.2 */
#define NS_XACML	"urn:oasis:names:tc:xacml:3.0:core:schema:wd-17"
#define NS_XACML_SAMLP	"urn:oasis:names:tc:xacml:3.0:profile:saml2.0:v2:schema:protocol:wd-14"
#define NS_SAML		"urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_HL7V3	"urn:hl7-org:v3"
#define ACT_MITZ_CLOSED	"XACMLAuthorizationDecisionQueryRequest"
#define XACML_CAT_RESOURCE "urn:oasis:names:tc:xacml:3.0:attribute-category:resource"
#define XACML_CAT_ACTION "urn:oasis:names:tc:xacml:3.0:attribute-category:action"
#define XACML_CAT_SUBJECT "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject"
#define XACML_CAT_ENVIRONMENT "urn:oasis:names:tc:xacml:3.0:attribute-category:environment"
#define XACML_DT_II	"urn:hl7-org:v3#II"
#define XACML_DT_CV	"urn:hl7-org:v3#CV"
#define MITZ_ATTR_RESOURCE_ID "urn:oasis:names:tc:xacml:2.0:resource:resource-id"
#define MITZ_ATTR_HOLDER_TYPE "urn:ihe:iti:appc:2016:document-entry:healthcare-facility-type-code"
#define MITZ_ATTR_HOLDER_URA "urn:ihe:iti:appc:2016:author-institution:id"
#define MITZ_ATTR_CATEGORY "urn:ihe:iti:appc:2016:document-entry:event-code"
#define MITZ_ATTR_ROLE	"urn:oasis:names:tc:xacml:2.0:subject:role"
#define MITZ_ATTR_PROFESSIONAL "urn:ihe:iti:xua:2017:subject:provider-identifier"
#define MITZ_ATTR_MANDATED "urn:nl:otv:names:tc:1.0:subject:mandated"
#define MITZ_ATTR_REQUESTER_URA "urn:nl:otv:names:tc:1.0:subject:provider-institution"
#define MITZ_ATTR_REQUESTER_TYPE "urn:nl:otv:names:tc:1.0:subject:consulting-healthcare-facility-type-code"
#define MITZ_ATTR_PURPOSE "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"
/* Mitz, the open question (localisation): IHE XCPD ITI-56
 * PatientLocationQuery over SOAP 1.2 (its RequestedPatientId's
 * assigningAuthorityName is DICOM_ISSUER_BSN) */
#define NS_XCPD		"urn:ihe:iti:xcpd:2009"
#define ACT_ITI56	"urn:ihe:iti:2009:PatientLocationQuery"
#define ACT_ITI56_RSP	"urn:ihe:iti:2009:PatientLocationQueryResponse"
#define MITZ_AUDIENCE	"urn:oid:2.16.840.1.113883.2.4.3.111.2.1"	/* of
					   the assertion to Mitz */
/* their code systems and roots: URA, UZI number, organisation type
 * (zorgaanbiedertype), data category (gegevenscategorie), UZI role
 * (RoleCodeNL), purpose of use */
#define OID_URA		"2.16.528.1.1007.3.3"
#define OID_UZI		"2.16.528.1.1007.3.1"
#define UZI_AUTHORITY	"CIBG"
#define OID_ORG_TYPE	"2.16.840.1.113883.2.4.15.1060"
#define OID_DATA_CATEGORY "2.16.840.1.113883.2.4.3.111.5.10.1"
#define OID_UZI_ROLE	"2.16.840.1.113883.2.4.15.111"
#define OID_PURPOSE_OF_USE "2.16.840.1.113883.1.11.20448"

/* XUA (ITI-40): the SAML 2.0 assertion in the WS-Security header.  Its
 * Twiin attributes are Mitz's subject attributes above (the same names),
 * and these */
#define NS_WSSE		"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define NS_DSIG		"http://www.w3.org/2000/09/xmldsig#"
#define NS_XSI	"http://www.w3.org/2001/XMLSchema-instance"
#define SAML_CM_BEARER	"urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SAML_AC_X509	"urn:oasis:names:tc:SAML:2.0:ac:classes:X509"
#define SAML_NAMEID_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define SAML_ATTRNAME_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
#define XUA_ATTR_SUBJECT_ID "urn:oasis:names:tc:xspa:1.0:subject:subject-id"
#define XUA_ATTR_ORGANIZATION "urn:oasis:names:tc:xspa:1.0:subject:organization"
#define XUA_ATTR_ORGANIZATION_ID "urn:oasis:names:tc:xspa:1.0:subject:organization-id"
#define XUA_ATTR_HOME_COMMUNITY "urn:ihe:iti:xca:2010:homeCommunityId"
/* WS-Security fault subcodes (WSS SOAP Message Security 1.1, 12) */
#define WSSE_FAULT_INVALID "wsse:InvalidSecurity"
#define WSSE_FAULT_FAILED_AUTH "wsse:FailedAuthentication"
/* UZI server certificates: subjectAltName otherName type-id, card type */
#define OID_UZI_OTHERNAME "2.5.5.5"
/* Mitz's subscriptions and notifications (FHIR R4, JSON): the
 * Subscription profile, its reason and criteria, the extensions a
 * subscription may carry, the media type, and the identifier system of a
 * BSN in the notification's resources (FHIR's and the OID as a URI) */
#define MITZ_SUB_PROFILE "http://vzvz.nl/fhir/otv/StructureDefinition/mitz-Subscription"
#define MITZ_SUB_REASON	"OTV"
#define MITZ_SUB_CRITERIA "Consent?_query=otv&patientid=%s&providerid=%s&providertype=%s"
#define MITZ_EXT_GATEWAY "http://fhir.nl/StructureDefinition/GatewaySystem"
#define MITZ_EXT_SOURCE	"http://fhir.nl/StructureDefinition/SourceSystem"
#define CT_FHIR_JSON	"application/fhir+json"
#define FHIR_SYS_BSN	"http://fhir.nl/fhir/NamingSystem/bsn"
#define FHIR_SYS_BSN_OID "urn:oid:2.16.840.1.113883.2.4.6.3"

/* IHE transaction names, as used in audit records and metrics */
#define TXN_ITI18	"ITI-18"
#define TXN_ITI41	"ITI-41"
#define TXN_ITI42	"ITI-42"
#define TXN_ITI43	"ITI-43"
#define TXN_ITI57	"ITI-57"
#define TXN_ITI62	"ITI-62"
#define TXN_ITI86	"ITI-86"
#define TXN_ITI8	"ITI-8"	/* Patient Identity Feed (HL7 v2 over MLLP) */
#define TXN_RAD68	"RAD-68"
#define TXN_RAD69	"RAD-69"
#define TXN_ITI38	"ITI-38"
#define TXN_ITI39	"ITI-39"
#define TXN_RAD75	"RAD-75"
#define TXN_DICOM_ASSOC	"DICOM-ASSOC"	/* a refused A-ASSOCIATE-RQ */
#define TXN_DICOM_PUSH	"DICOM-PUSH"	/* a study pushed to or from another
				   organisation (C-STORE, commitment) */
#define TXN_ITI56	"ITI-56"
#define TXN_MITZ_NOTIFY	"MITZ-NOTIFY"	/* Mitz's notification of a consent
					   change, POST /mitz/notify */

/* ATNA audit messages (DICOM PS3.15 A.5, RFC 3881): code systems, codes
 * and the syslog MSGID of ITI-20 */
#define ATNA_CS_DCM		"DCM"
#define ATNA_CS_IHE		"IHE Transactions"
#define ATNA_CS_RFC3881		"RFC-3881"
#define ATNA_CS_XDS		"IHE XDS Metadata"
#define ATNA_EV_INSTANCES_ACCESSED	"110103"
#define ATNA_EV_INSTANCES_TRANSFERRED	"110104"
#define ATNA_EV_EXPORT		"110106"
#define ATNA_EV_IMPORT		"110107"
#define ATNA_EV_PATIENT_RECORD	"110110"
#define ATNA_EV_QUERY		"110112"
#define ATNA_ROLE_DESTINATION	"110152"
#define ATNA_ROLE_SOURCE	"110153"
#define ATNA_SOURCE_APP_SERVER	"4"	/* AuditSourceTypeCode */
#define ATNA_ID_PATIENT		"2"	/* ParticipantObjectIDTypeCode */
#define ATNA_ID_REPORT		"9"
#define ATNA_ID_OBJECTREF	"urn:ihe:iti:2017:ObjectRef"
#define ATNA_ID_STUDY		"110180"	/* Study Instance UID */
#define ATNA_DETAIL_REPOSITORY	"Repository Unique Id"
#define ATNA_DETAIL_MSH10	"MSH-10"	/* ITI-8: the message control id */
#define ATNA_DETAIL_HCID	"ihe:homeCommunityID"
#define ATNA_DETAIL_XCA_HCID	"urn:ihe:iti:xca:2010:homeCommunityId"
#define ATNA_SYSLOG_MSGID	"IHE+RFC-3881"

/* HL7 v2 (ITI-8 Patient Identity Feed, ITI TF-2a 3.8): acknowledgment
 * codes (MSA-1, original mode), the error codes of HL7 table 0357 the
 * feed answers with (ERR-3), the message types it knows (MSH-9) */
#define HL7_ACK_ACCEPT		"AA"
#define HL7_ACK_ERROR		"AE"
#define HL7_ACK_REJECT		"AR"
#define HL7_TBL_ERR		"HL70357"
#define HL7_ERR_SEGMENT		"100"	/* segment sequence error */
#define HL7_ERR_REQUIRED	"101"	/* required field missing */
#define HL7_ERR_DATATYPE	"102"	/* data type error */
#define HL7_ERR_MSG_TYPE	"200"	/* unsupported message type */
#define HL7_ERR_EVENT		"201"	/* unsupported event code */
#define HL7_ERR_UNKNOWN_KEY	"204"	/* unknown key identifier */
#define HL7_ERR_INTERNAL	"207"	/* application internal error */
#define HL7_MSG_ADT		"ADT"
#define HL7_MSG_ACK		"ACK"

#endif /* XDS_VOCAB_H */
