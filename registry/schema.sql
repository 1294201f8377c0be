-- registry.db schema, version 1 (registry/store.c applies it; bump
-- user_version and add a migration when it changes).
--
-- Conventions every writer and reader follows:
--  * patient ids are stored canonical: "id^^^&oid&ISO" (hl7_cx_format)
--  * times are DTM padded to 14 digits with '0' (hl7_dtm_norm), so text
--    order is time order; NULL when absent
--  * status is the full URN (STATUS_APPROVED / STATUS_DEPRECATED)
--  * xml is the object as stored and returned for LeafClass, written by
--    rim_write_object() with the registry-assigned id and lid, and status
--    and home left OUT of the text: readers splice status (and home for
--    XCA) in when answering, so a status change never rewrites the XML.
--    Since Metadata Update a DocumentEntry or Folder carries its
--    VersionInfo; readers add lid and VersionInfo from the lid and
--    version columns where the XML has none (registry/query_obj.c).
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS registry_object (
  id          INTEGER PRIMARY KEY,
  entry_uuid  TEXT NOT NULL UNIQUE,      -- urn:uuid:...
  lid         TEXT NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1,
  kind        INTEGER NOT NULL,          -- 1 DocumentEntry, 2 SubmissionSet, 3 Folder, 4 Association
  status      TEXT NOT NULL,
  patient_id  TEXT,                      -- canonical CX (NULL for associations)
  unique_id   TEXT,                      -- DE/SS/Folder uniqueId
  xml         BLOB NOT NULL,
  submission  INTEGER,                   -- id of the SubmissionSet that brought it
  UNIQUE (lid, version)
);
CREATE INDEX IF NOT EXISTS ro_unique ON registry_object(kind, unique_id);
CREATE INDEX IF NOT EXISTS ro_patient ON registry_object(kind, patient_id, status);

CREATE TABLE IF NOT EXISTS document_entry (
  id                 INTEGER PRIMARY KEY REFERENCES registry_object(id) ON DELETE CASCADE,
  patient_id         TEXT NOT NULL,
  status             TEXT NOT NULL,
  object_type        TEXT NOT NULL,
  unique_id          TEXT NOT NULL,
  repository_uid     TEXT,
  creation_time      TEXT,
  service_start_time TEXT,
  service_stop_time  TEXT,
  hash               TEXT,             -- lower-case hex
  size               INTEGER,
  mime_type          TEXT,
  availability       TEXT
);
CREATE INDEX IF NOT EXISTS de_find ON document_entry(patient_id, status, creation_time);
CREATE INDEX IF NOT EXISTS de_unique ON document_entry(unique_id);

CREATE TABLE IF NOT EXISTS submission_set (
  id              INTEGER PRIMARY KEY REFERENCES registry_object(id) ON DELETE CASCADE,
  patient_id      TEXT NOT NULL,
  status          TEXT NOT NULL,
  unique_id       TEXT NOT NULL,
  source_id       TEXT,
  submission_time TEXT
);
CREATE INDEX IF NOT EXISTS ss_find ON submission_set(patient_id, status, submission_time);

CREATE TABLE IF NOT EXISTS folder (
  id               INTEGER PRIMARY KEY REFERENCES registry_object(id) ON DELETE CASCADE,
  patient_id       TEXT NOT NULL,
  status           TEXT NOT NULL,
  unique_id        TEXT NOT NULL,
  last_update_time TEXT
);
CREATE INDEX IF NOT EXISTS fol_find ON folder(patient_id, status, last_update_time);

-- Coded attributes: scheme is the classification scheme UUID (CS_*).
CREATE TABLE IF NOT EXISTS code (
  object_id     INTEGER NOT NULL REFERENCES registry_object(id) ON DELETE CASCADE,
  scheme        TEXT NOT NULL,
  code          TEXT NOT NULL,
  coding_scheme TEXT NOT NULL,
  PRIMARY KEY (object_id, scheme, code, coding_scheme)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS code_lookup ON code(scheme, code, coding_scheme);

-- Authors of DocumentEntries and SubmissionSets (authorPerson as sent).
CREATE TABLE IF NOT EXISTS author (
  object_id   INTEGER NOT NULL REFERENCES registry_object(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  person      TEXT,
  PRIMARY KEY (object_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS author_person ON author(person);

-- referenceIdList values (FindDocumentsByReferenceId): the full CXi text.
CREATE TABLE IF NOT EXISTS reference_id (
  object_id   INTEGER NOT NULL REFERENCES registry_object(id) ON DELETE CASCADE,
  value       TEXT NOT NULL,
  PRIMARY KEY (value, object_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS association (
  id        INTEGER PRIMARY KEY REFERENCES registry_object(id) ON DELETE CASCADE,
  type      TEXT NOT NULL,              -- full URN (AT_*)
  source_id INTEGER NOT NULL REFERENCES registry_object(id),
  target_id INTEGER NOT NULL REFERENCES registry_object(id)
);
CREATE INDEX IF NOT EXISTS assoc_source ON association(source_id, type);
CREATE INDEX IF NOT EXISTS assoc_target ON association(target_id, type);

-- Patients known through xdsctl patient add / a feed (registry.patient_ids = feed).
CREATE TABLE IF NOT EXISTS patient (
  patient_id TEXT PRIMARY KEY,          -- canonical CX
  added      TEXT NOT NULL              -- ISO 8601 UTC
) WITHOUT ROWID;
