/*
 * test_repository.c: CUnit tests of the Document Repository: the blob
 * store (durability order, dedup, delete, sweep) and the ITI-41/ITI-43
 * handlers against a fake registry in process (a local peer), and one
 * over HTTP (a lib/http server on port 0) for the remote registry.
 */
#include "config.h"

#include "cutest.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "actor.h"
#include "blobstore.h"
#include "buf.h"
#include "conf.h"
#include "ebrim.h"
#include "http.h"
#include "registry_client.h"
#include "repository.h"
#include "repository_int.h"
#include "soap.h"
#include "soap_peer.h"
#include "status.h"
#include "str.h"
#include "testutil.h"
#include "vocab.h"
#include "xact.h"
#include "xml.h"

/* "hello world": SHA-1 and SHA-256 */
#define HW_SHA1	"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
#define HW_SHA256 "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
#define REPO_ID	"1.2.3.4.5.6"

static char tmpdir[256];

static void
fresh(const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", tmpdir, name);
	if (testutil_rmtree(out) != 0 || mkdir(out, 0700) != 0)
		fprintf(stderr, "cannot make %s empty\n", out);
}

/* ---- blobstore ---- */

static void
test_blob_put_dedup(void)
{
	struct blobstore *bs;
	struct blob_info bi, bi2;
	char dir[512], docs[600], src[600], path[1100], err[256], buf[64];
	struct stat sb;
	off_t sz;
	int fd;

	fresh("dedup", dir, sizeof dir);
	snprintf(docs, sizeof docs, "%s/documents", dir);
	snprintf(src, sizeof src, "%s/spool1", dir);
	CU_ASSERT_EQUAL_FATAL(blobstore_open(docs, &bs, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(testutil_write_file(src, "hello world", 11), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &bi, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(bi.sha1, HW_SHA1);
	CU_ASSERT_STRING_EQUAL(bi.sha256, HW_SHA256);
	CU_ASSERT_EQUAL(bi.size, 11);
	CU_ASSERT_EQUAL(blobstore_path(bs, HW_SHA256, path, sizeof path), XDS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "/documents/b9/4d/" HW_SHA256));
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0400);
	/* the same bytes again, from another file: stored once */
	snprintf(src, sizeof src, "%s/spool2", dir);
	CU_ASSERT_EQUAL(testutil_write_file(src, "hello world", 11), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &bi2, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_STRING_EQUAL(bi2.sha256, HW_SHA256);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 1);
	CU_ASSERT_EQUAL(blobstore_exists(bs, HW_SHA256), 1);
	CU_ASSERT_EQUAL(blobstore_get(bs, HW_SHA256, &fd, &sz, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(sz, 11);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof buf), 11);
	CU_ASSERT_EQUAL(memcmp(buf, "hello world", 11), 0);
	close(fd);
	/* the spool file can go: the blob is its own name */
	unlink(src);
	CU_ASSERT_EQUAL(blobstore_exists(bs, HW_SHA256), 1);
	/* limits and bad names */
	CU_ASSERT_EQUAL(testutil_write_file(src, "hello world", 11), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 10, &bi2, err, sizeof err),
	    XDS_ETOOBIG);
	CU_ASSERT_EQUAL(blobstore_exists(bs, "../etc/passwd"), XDS_EINVAL);
	CU_ASSERT_EQUAL(blobstore_exists(bs, HW_SHA1), XDS_EINVAL);
	CU_ASSERT_EQUAL(blobstore_delete(bs, HW_SHA256, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(blobstore_delete(bs, HW_SHA256, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(blobstore_get(bs, HW_SHA256, &fd, &sz, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 0);
	blobstore_close(bs);
}

/* A blob checked against its recorded size and SHA-256: the same bytes,
 * a byte changed, a shorter file, none; a read-only store creates
 * nothing. */
static void
test_blob_verify(void)
{
	struct blobstore *bs, *ro;
	struct blob_info bi;
	char dir[512], docs[600], src[600], path[1100], err[256];

	fresh("verify", dir, sizeof dir);
	snprintf(docs, sizeof docs, "%s/documents", dir);
	snprintf(src, sizeof src, "%s/spool", dir);
	CU_ASSERT_EQUAL(blobstore_open_readonly(docs, &ro, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(testutil_count_files(dir, 1), 0);
	CU_ASSERT_EQUAL_FATAL(blobstore_open(docs, &bs, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL_FATAL(blobstore_open_readonly(docs, &ro, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(testutil_write_file(src, "hello world", 11), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &bi, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(blobstore_verify(ro, HW_SHA256, 11, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(blobstore_verify(ro, HW_SHA256, 12, err, sizeof err),
	    BLOB_DAMAGED);
	CU_ASSERT_STRING_EQUAL(err, "holds 11 bytes, 12 recorded");
	CU_ASSERT_EQUAL(blobstore_path(bs, HW_SHA256, path, sizeof path),
	    XDS_OK);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(testutil_write_file(path, "hello World", 11), 0);
	CU_ASSERT_EQUAL(blobstore_verify(ro, HW_SHA256, 11, err, sizeof err),
	    BLOB_DAMAGED);
	CU_ASSERT_STRING_EQUAL(err, "bytes do not match their SHA-256");
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(blobstore_verify(ro, HW_SHA256, 11, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(blobstore_verify(ro, "../x", 11, err, sizeof err),
	    XDS_EINVAL);
	blobstore_close(ro);
	blobstore_close(bs);
}

/* Staged bytes are in tmp/, fsync'd, and have no name until commit. */
static void
test_blob_stage_order(void)
{
	struct blobstore *bs;
	struct blob_writer *w;
	struct blob_staged st;
	char dir[512], docs[600], tmp[700], err[256];

	fresh("stage", dir, sizeof dir);
	snprintf(docs, sizeof docs, "%s/documents", dir);
	snprintf(tmp, sizeof tmp, "%s/tmp", docs);
	CU_ASSERT_EQUAL_FATAL(blobstore_open(docs, &bs, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL_FATAL(blobstore_writer_new(bs, 0, &w, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(blob_writer_write(w, "hello ", 6, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(blob_writer_write(w, "world", 5, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(blob_writer_finish(w, &st, err, sizeof err), XDS_OK);
	CU_ASSERT_STRING_EQUAL(st.info.sha256, HW_SHA256);
	CU_ASSERT_STRING_EQUAL(st.info.sha1, HW_SHA1);
	CU_ASSERT_EQUAL(st.info.size, 11);
	CU_ASSERT_EQUAL(testutil_count_files(tmp, 1), 1);
	CU_ASSERT_EQUAL(blobstore_exists(bs, HW_SHA256), 0);
	CU_ASSERT_EQUAL(blobstore_commit(bs, &st, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(testutil_count_files(tmp, 1), 0);
	CU_ASSERT_EQUAL(blobstore_exists(bs, HW_SHA256), 1);
	CU_ASSERT_STRING_EQUAL(st.tmp, "");
	/* discarded: nothing left */
	CU_ASSERT_EQUAL_FATAL(blobstore_writer_new(bs, 4, &w, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(blob_writer_write(w, "hello", 5, err, sizeof err),
	    XDS_ETOOBIG);
	blob_writer_abort(w);
	CU_ASSERT_EQUAL(testutil_count_files(tmp, 1), 0);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 1);
	blobstore_close(bs);
}

static int
keep_none_but(void *arg, const char *sha256)
{
	return arg != NULL && strcmp(arg, sha256) == 0;
}

static int
keep_error(void *arg, const char *sha256)
{
	(void)arg;
	(void)sha256;
	return -1;
}

static void
age(const char *path)
{
	struct timeval tv[2];

	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	CU_ASSERT_EQUAL(utimes(path, tv), 0);
}

static void
test_blob_sweep(void)
{
	struct blobstore *bs;
	struct blob_info a, b, c;
	char dir[512], docs[600], src[700], path[1100], err[256];
	size_t removed;

	fresh("sweep", dir, sizeof dir);
	snprintf(docs, sizeof docs, "%s/documents", dir);
	CU_ASSERT_EQUAL_FATAL(blobstore_open(docs, &bs, err, sizeof err), XDS_OK);
	snprintf(src, sizeof src, "%s/a", dir);
	CU_ASSERT_EQUAL(testutil_write_file(src, "aaa", 3), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &a, err, sizeof err), XDS_OK);
	snprintf(src, sizeof src, "%s/b", dir);
	CU_ASSERT_EQUAL(testutil_write_file(src, "bbb", 3), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &b, err, sizeof err), XDS_OK);
	snprintf(src, sizeof src, "%s/c", dir);
	CU_ASSERT_EQUAL(testutil_write_file(src, "ccc", 3), 0);
	CU_ASSERT_EQUAL(blobstore_put_file(bs, src, 0, &c, err, sizeof err), XDS_OK);
	/* a crashed stage in tmp/, old */
	snprintf(path, sizeof path, "%s/tmp/deadbeef", docs);
	CU_ASSERT_EQUAL(testutil_write_file(path, "x", 1), 0);
	age(path);
	blobstore_path(bs, a.sha256, path, sizeof path);
	age(path);
	blobstore_path(bs, b.sha256, path, sizeof path);
	age(path);
	/* c is young: kept although unreferenced; a referenced; b orphan.
	 * A failing reference check removes no blob (tmp/ is swept first). */
	CU_ASSERT_EQUAL(blobstore_sweep(bs, 60, keep_error, NULL, &removed, err,
	    sizeof err), XDS_EIO);
	CU_ASSERT_EQUAL(removed, 1);
	CU_ASSERT_EQUAL(blobstore_exists(bs, a.sha256), 1);
	CU_ASSERT_EQUAL(blobstore_exists(bs, b.sha256), 1);
	CU_ASSERT_EQUAL(blobstore_sweep(bs, 60, keep_none_but, a.sha256,
	    &removed, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(removed, 1);	/* b (tmp/ went in the first pass) */
	CU_ASSERT_EQUAL(blobstore_exists(bs, a.sha256), 1);
	CU_ASSERT_EQUAL(blobstore_exists(bs, b.sha256), 0);
	CU_ASSERT_EQUAL(blobstore_exists(bs, c.sha256), 1);
	snprintf(path, sizeof path, "%s/tmp", docs);
	CU_ASSERT_EQUAL(testutil_count_files(path, 1), 0);
	blobstore_close(bs);
}

/* ---- handlers, against a fake registry ---- */

static struct {
	int	 calls;
	int	 fail;		/* answer Failure with XDSUnknownPatientId */
	int	 find;		/* ITI-18: 0 fault, 1 nothing found, 2 found */
	char	 seen[4096];	/* the slots the repository set */
} fake;

static int
fake_iti42(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	char *body = testutil_xml_text(req->doc, req->body);

	(void)actor;
	(void)x;
	fake.calls++;
	fake.seen[0] = '\0';
	if (body == NULL)
		return -1;
	if (strstr(body, "\"" SLOT_REPOSITORYUID "\"><rim:ValueList><rim:Value>"
	    REPO_ID "<") != NULL)
		str_lcat(fake.seen, "repo ", sizeof fake.seen);
	if (strstr(body, ">" HW_SHA1 "<") != NULL)
		str_lcat(fake.seen, "hash ", sizeof fake.seen);
	if (strstr(body, "\"size\"><rim:ValueList><rim:Value>11<") != NULL)
		str_lcat(fake.seen, "size", sizeof fake.seen);
	free(body);
	if (fake.fail)
		return buf_adds(&reply->body, "<rs:RegistryResponse xmlns:rs=\""
		    NS_RS "\" status=\"" ST_FAILURE "\"><rs:RegistryErrorList>"
		    "<rs:RegistryError errorCode=\"" ERR_UNKNOWN_PATIENTID "\" "
		    "codeContext=\"unknown\" severity=\"" SEV_ERROR "\"/>"
		    "</rs:RegistryErrorList></rs:RegistryResponse>") == XDS_OK ?
		    0 : -1;
	return buf_adds(&reply->body, "<rs:RegistryResponse xmlns:rs=\"" NS_RS
	    "\" status=\"" ST_SUCCESS "\"/>") == XDS_OK ? 0 : -1;
}

/* GetDocuments by uniqueId (the ITI-86 check): as fake.find says. */
static int
fake_iti18(void *actor, struct xact *x, const struct soap_request *req,
    struct soap_reply *reply)
{
	(void)actor;
	(void)req;
	if (fake.find == 0) {
		str_lcpy(x->reason, "no answer", sizeof x->reason);
		return XDS_ERR;
	}
	return buf_addf(&reply->body, "<q:AdhocQueryResponse xmlns:q=\""
	    NS_QUERY "\" xmlns:rim=\"" NS_RIM "\" status=\"" ST_SUCCESS "\">"
	    "<rim:RegistryObjectList>%s</rim:RegistryObjectList>"
	    "</q:AdhocQueryResponse>", fake.find == 2 ? "<rim:ObjectRef "
	    "id=\"urn:uuid:00000000-0000-4000-8000-000000000001\"/>" : "") ==
	    XDS_OK ? 0 : -1;
}

static const struct soap_route fake_routes[] = {
	{ ACT_ITI42, ACT_ITI42_RSP, TXN_ITI42, NS_LCM, "SubmitObjectsRequest",
	  PACK_SIMPLE, fake_iti42 },
	{ ACT_ITI18, ACT_ITI18_RSP, TXN_ITI18, NS_QUERY, "AdhocQueryRequest",
	  PACK_SIMPLE, fake_iti18 },
};
static const struct soap_endpoint fake_ep = { "/xds/registry", fake_routes,
	2, NULL, NULL, 0 };

static struct conf cf;
static struct repository *repo;
static struct soap_peer *fake_peer;	/* fake_ep in process */
static char state[512];

static const char PNR_HEAD[] =
    "<s:Envelope xmlns:s=\"" NS_SOAP12 "\"><s:Body>"
    "<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb=\"" NS_XDSB "\" "
    "xmlns:lcm=\"" NS_LCM "\" xmlns:rim=\"" NS_RIM "\">"
    "<lcm:SubmitObjectsRequest><rim:RegistryObjectList>";

/* One DocumentEntry: id, uniqueId, optional hash/size slots. */
static void
add_de(struct buf *b, const char *id, const char *uid, const char *hash,
    const char *size)
{
	CU_ASSERT_EQUAL(buf_addf(b, "<rim:ExtrinsicObject id=\"%s\" "
	    "mimeType=\"text/plain\" objectType=\"" OT_DE_STABLE "\">", id),
	    XDS_OK);
	if (hash != NULL)
		CU_ASSERT_EQUAL(buf_addf(b, "<rim:Slot name=\"hash\"><rim:ValueList>"
		    "<rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>", hash),
		    XDS_OK);
	if (size != NULL)
		CU_ASSERT_EQUAL(buf_addf(b, "<rim:Slot name=\"size\"><rim:ValueList>"
		    "<rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>", size),
		    XDS_OK);
	CU_ASSERT_EQUAL(buf_addf(b, "<rim:Name><rim:LocalizedString value=\"t\"/>"
	    "</rim:Name><rim:ExternalIdentifier id=\"ei-%s\" registryObject=\"%s\" "
	    "identificationScheme=\"" EI_DE_UNIQUEID "\" value=\"%s\"/>"
	    "</rim:ExtrinsicObject>", id, id, uid), XDS_OK);
}

struct call {
	struct mtom_attachment att[4];
	size_t	natt;
	struct xact x;
	struct soap_reply reply;
	int	rc;
};

/* Run ITI-41 (or ITI-43) with the envelope text and attachments. */
static void
run(int (*fn)(void *, struct xact *, const struct soap_request *,
    struct soap_reply *), const char *xml, struct call *c)
{
	struct soap_request req;
	char err[256];
	xmlDoc *doc;
	xmlNode *body;

	doc = xml_parse(xml, strlen(xml), err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	body = xml_first_elem(xml_first_elem(xmlDocGetRootElement(doc)));
	memset(&req, 0, sizeof req);
	req.doc = doc;
	req.body = body;
	req.pack = PACK_MTOM;
	req.att = c->att;
	req.natt = c->natt;
	xact_begin(&c->x, &cf, "/xds/repository", "test", "127.0.0.1");
	buf_init(&c->reply.body, 1 << 20);
	c->rc = fn(repo, &c->x, &req, &c->reply);
	xmlFreeDoc(doc);
}

static void
call_free(struct call *c)
{
	buf_free(&c->reply.body);
	free(c->reply.att);
	memset(c, 0, sizeof *c);
}

static void
attach(struct call *c, const char *cid, const char *data)
{
	struct mtom_attachment *a = &c->att[c->natt++];

	str_lcpy(a->cid, cid, sizeof a->cid);
	snprintf(a->path, sizeof a->path, "%s/spool-%s", tmpdir, cid);
	CU_ASSERT_EQUAL(testutil_write_file(a->path, data, strlen(data)), 0);
	a->size = (off_t)strlen(data);
}

/* The answer in c holds text. */
static int
says(struct call *c, const char *text)
{
	return strstr(buf_str(&c->reply.body), text) != NULL;
}

/* An ITI-41 begun in b: the envelope up to the ebRIM objects. */
static void
pnr_begin(struct buf *b)
{
	buf_init(b, 1 << 20);
	CU_ASSERT_EQUAL(buf_adds(b, PNR_HEAD), XDS_OK);
}

/* The ITI-41 in b ended with the xdsb:Document elements docs and run
 * into c; b freed. */
static void
pnr_run(struct buf *b, const char *docs, struct call *c)
{
	CU_ASSERT_EQUAL(buf_addf(b, "</rim:RegistryObjectList>"
	    "</lcm:SubmitObjectsRequest>%s"
	    "</xdsb:ProvideAndRegisterDocumentSetRequest>"
	    "</s:Body></s:Envelope>", docs), XDS_OK);
	run(repo_iti41, buf_str(b), c);
	buf_free(b);
}

/* PnR of one document, data as the part d1, with uniqueId uid. */
static void
pnr_one(struct call *c, const char *uid, const char *hash, const char *size,
    const char *data)
{
	struct buf b;

	pnr_begin(&b);
	add_de(&b, "de1", uid, hash, size);
	attach(c, "d1", data);
	pnr_run(&b, "<xdsb:Document id=\"de1\"><xop:Include xmlns:xop=\""
	    NS_XOP "\" href=\"cid:d1\"/></xdsb:Document>", c);
}

/* PnR of one document "hello world" with uniqueId uid. */
static void
pnr1(struct call *c, const char *uid, const char *hash, const char *size)
{
	pnr_one(c, uid, hash, size, "hello world");
}

/* pnr1() answered with want and also (each NULL: anything). */
static void
pnr1_says(const char *uid, const char *hash, const char *size,
    const char *want, const char *also)
{
	struct call c;

	memset(&c, 0, sizeof c);
	pnr1(&c, uid, hash, size);
	if (want != NULL)
		CU_ASSERT(says(&c, want));
	if (also != NULL)
		CU_ASSERT(says(&c, also));
	call_free(&c);
}

static int
suite_init(void)
{
	char err[256];

	fresh("state", state, sizeof state);
	conf_defaults(&cf);
	str_lcpy(cf.node_state_dir, state, sizeof cf.node_state_dir);
	str_lcpy(cf.repository_unique_id, REPO_ID, sizeof cf.repository_unique_id);
	cf.repository_max_document_size = 1024;
	if (soap_peer_local(&fake_peer, &fake_ep, NULL, err, sizeof err) !=
	    XDS_OK || repository_open(&cf, fake_peer, &repo, err,
	    sizeof err) != 0) {
		fprintf(stderr, "repository_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	repository_close(repo);
	soap_peer_free(fake_peer);
	return 0;
}

static void
test_open_errors(void)
{
	struct repository *r;
	struct soap_peer *p = NULL;
	struct conf c = cf;
	char err[256];

	/* no way to a registry (none runs here, no registry_url) */
	CU_ASSERT_EQUAL(repository_open(&c, NULL, &r, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no registry"));
	str_lcpy(c.repository_unique_id, "not-an-oid", sizeof c.repository_unique_id);
	CU_ASSERT_EQUAL(repository_open(&c, fake_peer, &r, err, sizeof err),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "repository.unique_id"));
	/* plain HTTP off loopback: refused where the peer is made */
	CU_ASSERT_EQUAL(soap_peer_remote(&p, "http://reg.example/xds", NULL,
	    err, sizeof err), XDS_EINVAL);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "https://"));
}

static void
test_submit_retrieve(void)
{
	struct call c;
	char docs[600], xml[2048];

	memset(&c, 0, sizeof c);
	fake.calls = fake.fail = 0;
	pnr1(&c, "1.2.3.100", NULL, NULL);
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_SUCCESS));
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_STRING_EQUAL(fake.seen, "repo hash size");
	call_free(&c);
	snprintf(docs, sizeof docs, "%s/documents", state);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 1);

	/* retrieve it, an unknown one, and one of another repository */
	snprintf(xml, sizeof xml, "<s:Envelope xmlns:s=\"" NS_SOAP12 "\"><s:Body>"
	    "<x:RetrieveDocumentSetRequest xmlns:x=\"" NS_XDSB "\">"
	    "<x:DocumentRequest><x:HomeCommunityId>urn:oid:1.2.3</x:HomeCommunityId>"
	    "<x:RepositoryUniqueId>" REPO_ID "</x:RepositoryUniqueId>"
	    "<x:DocumentUniqueId>1.2.3.100</x:DocumentUniqueId></x:DocumentRequest>"
	    "<x:DocumentRequest><x:RepositoryUniqueId>" REPO_ID
	    "</x:RepositoryUniqueId><x:DocumentUniqueId>9.9</x:DocumentUniqueId>"
	    "</x:DocumentRequest><x:DocumentRequest><x:RepositoryUniqueId>7.7"
	    "</x:RepositoryUniqueId><x:DocumentUniqueId>1.2.3.100"
	    "</x:DocumentUniqueId></x:DocumentRequest>"
	    "</x:RetrieveDocumentSetRequest></s:Body></s:Envelope>");
	run(repo_iti43, xml, &c);
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_PARTIAL));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_DOCUMENT_UNIQUEID "\""));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_UNKNOWN_REPOSITORY_ID "\""));
	CU_ASSERT(says(&c, "<xdsb:HomeCommunityId>urn:oid:1.2.3"
	    "</xdsb:HomeCommunityId>"));
	CU_ASSERT(says(&c, "<xdsb:mimeType>text/plain</xdsb:mimeType>"));
	CU_ASSERT_EQUAL_FATAL(c.reply.natt, 1);
	CU_ASSERT_EQUAL(c.reply.att[0].size, 11);
	CU_ASSERT_STRING_EQUAL(c.reply.att[0].sha1, HW_SHA1);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.reply.att[0].path, HW_SHA256));
	CU_ASSERT_STRING_EQUAL(c.reply.att[0].content_type, "text/plain");
	CU_ASSERT_EQUAL(c.x.outcome, XACT_PARTIAL);
	call_free(&c);
}

/* An ITI-86 request for the (repository, uniqueId) pairs in reqs. */
static void
remove_run(struct call *c, const char *reqs)
{
	char xml[4096];

	memset(c, 0, sizeof *c);
	snprintf(xml, sizeof xml, "<s:Envelope xmlns:s=\"" NS_SOAP12 "\">"
	    "<s:Body><r:RemoveDocumentsRequest xmlns:r=\"" NS_RMD "\" "
	    "xmlns:x=\"" NS_XDSB "\">%s</r:RemoveDocumentsRequest></s:Body>"
	    "</s:Envelope>", reqs);
	run(repo_iti86, xml, c);
}

#define DREQ(repo, uid) "<x:DocumentRequest><x:RepositoryUniqueId>" repo \
	"</x:RepositoryUniqueId><x:DocumentUniqueId>" uid \
	"</x:DocumentUniqueId></x:DocumentRequest>"

static void
test_remove_documents(void)
{
	struct call c;
	struct repo_doc d;
	char docs[600], err[256];
	size_t before;

	snprintf(docs, sizeof docs, "%s/documents", state);
	fake.calls = fake.fail = 0;
	memset(&c, 0, sizeof c);
	pnr_one(&c, "1.2.3.860", NULL, NULL, "remove me");
	CU_ASSERT(says(&c, ST_SUCCESS));
	call_free(&c);
	memset(&c, 0, sizeof c);
	pnr_one(&c, "1.2.3.861", NULL, NULL, "remove me");	/* same bytes */
	CU_ASSERT(says(&c, ST_SUCCESS));
	call_free(&c);
	before = testutil_count_files(docs, 1);

	/* still registered, or the registry cannot tell: kept */
	fake.find = 2;
	remove_run(&c, DREQ(REPO_ID, "1.2.3.860"));
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_REMOVE_DOCUMENTS "\""));
	CU_ASSERT(says(&c, "ITI-62"));
	call_free(&c);
	fake.find = 0;
	remove_run(&c, DREQ(REPO_ID, "1.2.3.860"));
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_REMOVE_DOCUMENTS "\""));
	call_free(&c);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.860", &d, err,
	    sizeof err), XDS_OK);

	/* metadata gone: one removed; an unknown one, a foreign
	 * repository: PartialSuccess; the shared bytes stay */
	fake.find = 1;
	remove_run(&c, DREQ(REPO_ID, "1.2.3.860") DREQ(REPO_ID, "9.9.9")
	    DREQ("7.7", "1.2.3.861"));
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_PARTIAL));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_DOCUMENT_UNIQUEID "\""));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_UNKNOWN_REPOSITORY_ID "\""));
	CU_ASSERT(says(&c, "location=\"9.9.9\""));
	CU_ASSERT_EQUAL(c.x.outcome, XACT_PARTIAL);
	CU_ASSERT_STRING_EQUAL(c.x.object, "1.2.3.860");
	call_free(&c);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.860", &d, err,
	    sizeof err), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), before);

	/* the last row naming the bytes: they go too */
	remove_run(&c, DREQ(REPO_ID, "1.2.3.861"));
	CU_ASSERT(says(&c, ST_SUCCESS));
	CU_ASSERT_EQUAL(c.x.outcome, XACT_SUCCESS);
	call_free(&c);
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), before - 1);

	/* again: unknown now; none at all, and a bad order */
	remove_run(&c, DREQ(REPO_ID, "1.2.3.861"));
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_DOCUMENT_UNIQUEID "\""));
	call_free(&c);
	remove_run(&c, "");
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, "errorCode=\"" ERR_REPOSITORY_METADATA "\""));
	call_free(&c);
	remove_run(&c, "<x:DocumentRequest><x:DocumentUniqueId>1"
	    "</x:DocumentUniqueId><x:RepositoryUniqueId>" REPO_ID
	    "</x:RepositoryUniqueId></x:DocumentRequest>");
	CU_ASSERT(says(&c, "errorCode=\"" ERR_REPOSITORY_METADATA "\""));
	call_free(&c);
	fake.find = 0;
}

static void
test_registry_failure(void)
{
	struct call c;
	char docs[600];

	snprintf(docs, sizeof docs, "%s/documents", state);
	memset(&c, 0, sizeof c);
	fake.calls = 0;
	fake.fail = 1;
	/* a new uniqueId whose bytes are shared with 1.2.3.100: the blob
	 * stays for that one, the row goes */
	pnr1(&c, "1.2.3.101", NULL, NULL);
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, ERR_UNKNOWN_PATIENTID));
	CU_ASSERT_EQUAL(fake.calls, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.x.errors, ERR_UNKNOWN_PATIENTID));
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 1);
	call_free(&c);
	{
		struct repo_doc d;
		char err[256];

		CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.101", &d, err,
		    sizeof err), XDS_ENOTFOUND);
		CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.100", &d, err,
		    sizeof err), XDS_OK);
		CU_ASSERT_EQUAL(d.committed, 1);
	}
	fake.fail = 0;
}

static void
test_registry_failure_new_bytes(void)
{
	struct call c;
	struct buf b;
	char docs[600];

	snprintf(docs, sizeof docs, "%s/documents", state);
	memset(&c, 0, sizeof c);
	fake.fail = 1;
	pnr_begin(&b);
	add_de(&b, "n1", "1.2.3.200", NULL, NULL);
	pnr_run(&b, "<xdsb:Document id=\"n1\">bmV3IGJ5dGVz</xdsb:Document>",
	    &c);
	CU_ASSERT_EQUAL(c.rc, 0);
	CU_ASSERT(says(&c, ST_FAILURE));
	/* only hello world */
	CU_ASSERT_EQUAL(testutil_count_files(docs, 1), 1);
	call_free(&c);
	fake.fail = 0;
}

static void
test_hash_size(void)
{
	fake.calls = 0;
	pnr1_says("1.2.3.300", "2AAE6C35C94FCFB415DBE95F408B9CE91EE846ED", "11",
	    ST_SUCCESS, NULL);
	pnr1_says("1.2.3.301", "0000000000000000000000000000000000000000", NULL,
	    ST_FAILURE, ERR_REPOSITORY_METADATA);
	pnr1_says("1.2.3.302", NULL, "12", ERR_REPOSITORY_METADATA, NULL);
	pnr1_says("1.2.3.303", NULL, "eleven", ERR_REPOSITORY_METADATA, NULL);
	CU_ASSERT_EQUAL(fake.calls, 1);	/* only the good one reached it */
}

static void
test_pairing(void)
{
	struct call c;
	struct buf b;

	memset(&c, 0, sizeof c);
	fake.calls = 0;
	/* DE without Document, Document without DE, duplicate uniqueId */
	pnr_begin(&b);
	add_de(&b, "a", "1.2.3.400", NULL, NULL);
	add_de(&b, "b", "1.2.3.400", NULL, NULL);
	pnr_run(&b, "<xdsb:Document id=\"a\">aGk=</xdsb:Document>"
	    "<xdsb:Document id=\"zz\">aGk=</xdsb:Document>", &c);
	CU_ASSERT(says(&c, ST_FAILURE));
	CU_ASSERT(says(&c, "\"" ERR_MISSING_DOCUMENT "\""));
	CU_ASSERT(says(&c, "\"" ERR_MISSING_DOCUMENT_METADATA "\""));
	CU_ASSERT(says(&c, "\"" ERR_REPOSITORY_DUP_IN_MESSAGE "\""));
	CU_ASSERT_EQUAL(fake.calls, 0);
	call_free(&c);
	/* invalid base64 */
	pnr_begin(&b);
	add_de(&b, "a", "1.2.3.401", NULL, NULL);
	pnr_run(&b, "<xdsb:Document id=\"a\">!!!*</xdsb:Document>", &c);
	CU_ASSERT(says(&c, ERR_REPOSITORY_METADATA));
	call_free(&c);
}

static void
test_too_big(void)
{
	struct call c;
	char big[2000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memset(&c, 0, sizeof c);
	pnr_one(&c, "1.2.3.500", NULL, NULL, big);
	CU_ASSERT_EQUAL(c.rc, XDS_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.x.reason, "max_document_size"));
	call_free(&c);
}


/* ITI-43 of one uniqueId of this repository. */
static void
retrieve1(struct call *c, const char *uid)
{
	char xml[1024];

	snprintf(xml, sizeof xml, "<s:Envelope xmlns:s=\"" NS_SOAP12 "\">"
	    "<s:Body><x:RetrieveDocumentSetRequest xmlns:x=\"" NS_XDSB "\">"
	    "<x:DocumentRequest><x:RepositoryUniqueId>" REPO_ID
	    "</x:RepositoryUniqueId><x:DocumentUniqueId>%s</x:DocumentUniqueId>"
	    "</x:DocumentRequest></x:RetrieveDocumentSetRequest></s:Body>"
	    "</s:Envelope>", uid);
	run(repo_iti43, xml, c);
}

/* ---- a remote registry over HTTP ---- */

/*
 * A registry server in this process (lib/http on port 0) that answers by
 * mode: 0 Success, 1 no answer (the connection breaks in the middle of
 * one: the request may have been processed), 2 a SOAP fault, 3 ITI-18
 * GetDocuments holding 1.2.3.601 only (anything else: no answer).
 */
static struct {
	struct http_server	*hs;
	pthread_t		 thr;
	char			 url[128];
	atomic_int		 mode;
	atomic_int		 calls;
	atomic_int		 ns_ok;	/* body stands alone, slots set */
} remote;

/* The ITI-42 body as sent: the SubmitObjectsRequest is soap:Body's child
 * and declares its own namespaces; no document content went along. */
static int
sor_alone(const char *env)
{
	const char *b = strstr(env, "<soap:Body>");

	return b != NULL && strncmp(b + 11, "<lcm:SubmitObjectsRequest", 25) ==
	    0 && strstr(b, "xmlns:lcm=\"" NS_LCM "\"") != NULL &&
	    strstr(b, "xmlns:rim=\"" NS_RIM "\"") != NULL &&
	    strstr(b, ">" HW_SHA1 "<") != NULL &&
	    strstr(b, "xdsb:Document") == NULL;
}

static void
remote_answer(struct http_conn *c, const char *action, const char *body)
{
	static const char ok[] = "<s:Envelope xmlns:s=\"" NS_SOAP12 "\">"
	    "<s:Body><rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\""
	    ST_SUCCESS "\"/></s:Body></s:Envelope>";
	static const char fault[] = "<s:Envelope xmlns:s=\"" NS_SOAP12 "\">"
	    "<s:Body><s:Fault/></s:Body></s:Envelope>";
	char out[1024];
	int mode = atomic_load(&remote.mode), n;

	if (mode == 0)
		http_respond(c, 200, CT_SOAP12, ok, sizeof ok - 1);
	else if (mode == 2)
		http_respond(c, 500, CT_SOAP12, fault, sizeof fault - 1);
	else if (mode == 3 && strcmp(action, ACT_ITI18) == 0 &&
	    strstr(body, SQ_GETDOCUMENTS) != NULL &&
	    (n = snprintf(out, sizeof out, "<s:Envelope xmlns:s=\"" NS_SOAP12
	    "\"><s:Body><q:AdhocQueryResponse xmlns:q=\"" NS_QUERY "\" "
	    "status=\"" ST_SUCCESS "\"><r:RegistryObjectList xmlns:r=\""
	    NS_RIM "\">%s</r:RegistryObjectList></q:AdhocQueryResponse>"
	    "</s:Body></s:Envelope>", strstr(body, "('1.2.3.601')") != NULL ?
	    "<r:ObjectRef id=\"urn:uuid:x\"/>" : "")) > 0 &&
	    (size_t)n < sizeof out)
		http_respond(c, 200, CT_SOAP12, out, (size_t)n);
	else {			/* half an answer, then the line drops */
		http_close_after(c);
		if (http_respond_begin(c, 200, CT_SOAP12, 1000, NULL) == 0)
			(void)http_respond_write(c, "<s:Envelope", 11);
	}
}

static void
remote_handler(struct http_conn *c, const struct http_request *r, void *arg)
{
	struct soap_env env;
	struct soap_fault f;
	struct buf in;
	char chunk[65536];
	ssize_t n;

	(void)r;
	(void)arg;
	atomic_fetch_add(&remote.calls, 1);
	buf_init(&in, 1 << 20);
	while ((n = http_body_read(c, chunk, sizeof chunk)) > 0)
		if (buf_add(&in, chunk, (size_t)n) != XDS_OK)
			break;
	if (soap_env_parse(in.b_data, in.b_len, &env, &f) == 0) {
		if (strcmp(env.action, ACT_ITI42) == 0)
			atomic_store(&remote.ns_ok, sor_alone(buf_str(&in)));
		remote_answer(c, env.action, buf_str(&in));
		soap_env_free(&env);
	} else
		http_respond(c, 400, "text/plain", "bad", 3);
	buf_free(&in);
}

static void *
remote_thread(void *arg)
{
	(void)arg;
	(void)http_server_run(remote.hs);
	return NULL;
}

static int
remote_start(void)
{
	struct http_server_opts o;
	char err[256];

	memset(&o, 0, sizeof o);
	o.host = "127.0.0.1";
	o.workers = 2;
	o.queue = 8;
	if ((remote.hs = http_server_new(&o, remote_handler, NULL, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "http_server_new: %s\n", err);
		return -1;
	}
	snprintf(remote.url, sizeof remote.url,
	    "http://127.0.0.1:%d/xds/registry", http_server_port(remote.hs));
	return pthread_create(&remote.thr, NULL, remote_thread, NULL);
}

static void
remote_stop(void)
{
	http_server_stop(remote.hs);
	pthread_join(remote.thr, NULL);
	http_server_free(remote.hs);
}

/* A repository whose registry is the remote one. */
static int
remote_open(const struct conf *c, struct soap_peer **p, struct repository **r)
{
	char err[256];

	if (soap_peer_remote(p, remote.url, NULL, err, sizeof err) != XDS_OK ||
	    repository_open(c, *p, r, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static void
remote_close(struct soap_peer *p, struct repository *r)
{
	repository_close(r);
	soap_peer_free(p);
}

/* The suite's repository set aside, and repo one with conf c whose
 * registry is the remote one, until remote_end(). */
struct remote_run {
	struct repository	*saved;
	struct soap_peer	*peer;
};

static void
remote_begin(struct remote_run *rr, const struct conf *c)
{
	rr->saved = repo;
	CU_ASSERT_EQUAL_FATAL(remote_start(), 0);
	CU_ASSERT_EQUAL_FATAL(remote_open(c, &rr->peer, &repo), 0);
}

static void
remote_end(struct remote_run *rr)
{
	remote_close(rr->peer, repo);
	remote_stop();
	repo = rr->saved;
}

static void
test_remote_registry(void)
{
	struct remote_run rr;
	struct conf c = cf;
	struct repo_doc d;
	struct call k;
	char err[256];

	remote_begin(&rr, &c);
	memset(&k, 0, sizeof k);
	remote.mode = 0;
	pnr1_says("1.2.3.600", NULL, NULL, ST_SUCCESS, NULL);
	CU_ASSERT_EQUAL(remote.ns_ok, 1);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.600", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(d.committed, 1);
	/* no answer: the registry may have it, so the row stays pending */
	remote.mode = 1;
	pnr1_says("1.2.3.601", NULL, NULL, ST_FAILURE,
	    ERR_REGISTRY_NOT_AVAILABLE);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.601", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(d.committed, 0);
	/* a fault is a definite answer: rolled back */
	remote.mode = 2;
	pnr1_says("1.2.3.602", NULL, NULL, ERR_REGISTRY_NOT_AVAILABLE, NULL);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.602", &d, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(remote.calls, 3);
	/* two more of unknown outcome */
	remote.mode = 1;
	pnr1_says("1.2.3.603", NULL, NULL, NULL, NULL);
	pnr1_says("1.2.3.604", NULL, NULL, NULL, NULL);
	/* a pending row is not served */
	retrieve1(&k, "1.2.3.601");
	CU_ASSERT(says(&k, ST_FAILURE));
	CU_ASSERT_EQUAL(k.reply.natt, 0);
	call_free(&k);
	repository_close(repo);
	/* restart with the registry unreachable: all stay pending */
	remote.mode = 1;
	remote.calls = 0;
	CU_ASSERT_EQUAL_FATAL(repository_open(&c, rr.peer, &repo, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(remote.calls, 1);	/* stops at the first */
	CU_ASSERT_EQUAL(repo_db_count_pending(repo->db), 3);
	repository_close(repo);
	/* restart with the registry answering: 601 registered, the others
	 * never were */
	remote.mode = 3;
	remote.calls = 0;
	CU_ASSERT_EQUAL_FATAL(repository_open(&c, rr.peer, &repo, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(remote.calls, 3);
	CU_ASSERT_EQUAL(repo_db_count_pending(repo->db), 0);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.601", &d, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(d.committed, 1);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.603", &d, err, sizeof err),
	    XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.604", &d, err, sizeof err),
	    XDS_ENOTFOUND);
	retrieve1(&k, "1.2.3.601");
	CU_ASSERT(says(&k, ST_SUCCESS));
	CU_ASSERT_EQUAL(k.reply.natt, 1);
	call_free(&k);
	remote_end(&rr);
}

/* ---- live marks and the periodic reconciliation ---- */

static void
row_of(struct repo_doc *d, const char *uid)
{
	memset(d, 0, sizeof *d);
	str_lcpy(d->unique_id, uid, sizeof d->unique_id);
	str_lcpy(d->sha256, HW_SHA256, sizeof d->sha256);
	str_lcpy(d->sha1, HW_SHA1, sizeof d->sha1);
	d->size = 11;
	str_lcpy(d->mime_type, "text/plain", sizeof d->mime_type);
}

static void *
release_other(void *arg)
{
	(void)arg;
	repo_db_release_thread();
	return NULL;
}

/* Threads at once, more than the pool holds: the connections opened on
 * demand serve every one of them. */
#define POOL_THREADS	12
#define POOL_ROWS	20

static struct repo_db *pool_db;

static void *
pool_worker(void *arg)
{
	struct repo_doc d, got;
	char uid[64], err[256];
	const char *u = uid;
	int i, t = (int)(intptr_t)arg, bad = 0;

	for (i = 0; i < POOL_ROWS; i++) {
		snprintf(uid, sizeof uid, "1.2.3.9%02d.%d", t, i);
		row_of(&d, uid);
		if (repo_db_insert(pool_db, &d, err, sizeof err) != XDS_OK ||
		    repo_db_commit(pool_db, &u, 1, err, sizeof err) !=
		    XDS_OK ||
		    repo_db_get(pool_db, uid, &got, err, sizeof err) !=
		    XDS_OK || !got.committed)
			bad++;
	}
	repo_db_release_thread();
	return (void *)(intptr_t)bad;
}

static void
test_pool_on_demand(void)
{
	pthread_t t[POOL_THREADS];
	char dir[512], path[600], err[256];
	void *bad;
	int i, started = 0;

	fresh("pool", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/repository.db", dir);
	CU_ASSERT_EQUAL_FATAL(repo_db_open(path, &pool_db, err, sizeof err),
	    XDS_OK);
	for (i = 0; i < POOL_THREADS; i++)
		if (pthread_create(&t[i], NULL, pool_worker,
		    (void *)(intptr_t)i) == 0)
			started++;
		else
			break;
	CU_ASSERT_EQUAL(started, POOL_THREADS);
	for (i = 0; i < started; i++) {
		pthread_join(t[i], &bad);
		CU_ASSERT_EQUAL((intptr_t)bad, 0);
	}
	CU_ASSERT_EQUAL(repo_db_count_pending(pool_db), 0);
	CU_ASSERT_EQUAL(repo_db_live_count(pool_db), 0);
	repo_db_close(pool_db);
	pool_db = NULL;
}

static void
test_live_marks(void)
{
	struct repo_db *db;
	struct repo_doc d;
	const char *uid = "1.2.3.801";
	char dir[512], path[600], err[256];
	long long refs = -1;
	pthread_t t;

	fresh("live", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/repository.db", dir);
	CU_ASSERT_EQUAL_FATAL(repo_db_open(path, &db, err, sizeof err),
	    XDS_OK);
	row_of(&d, uid);
	CU_ASSERT_EQUAL(repo_db_insert(db, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(repo_db_is_live(db, uid), 1);
	CU_ASSERT_EQUAL(repo_db_live_count(db), 1);
	/* a live row is not judged */
	CU_ASSERT_EQUAL(repo_db_delete_pending(db, uid, HW_SHA256, &refs, err,
	    sizeof err), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(repo_db_count_pending(db), 1);
	/* another thread's release leaves this thread's marks */
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, release_other, NULL), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(repo_db_is_live(db, uid), 1);
	repo_db_release_thread();
	CU_ASSERT_EQUAL(repo_db_is_live(db, uid), 0);
	CU_ASSERT_EQUAL(repo_db_delete_pending(db, uid, HW_SHA256, &refs, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(refs, 0);
	CU_ASSERT_EQUAL(repo_db_count_pending(db), 0);
	/* resubmission of a pending row marks it again; of a committed one
	 * not; commit clears */
	CU_ASSERT_EQUAL(repo_db_insert(db, &d, err, sizeof err), XDS_OK);
	repo_db_release_thread();
	CU_ASSERT_EQUAL(repo_db_insert(db, &d, err, sizeof err),
	    XDS_EEXIST);
	CU_ASSERT_EQUAL(repo_db_is_live(db, uid), 1);
	CU_ASSERT_EQUAL(repo_db_commit(db, &uid, 1, err, sizeof err),
	    XDS_OK);
	CU_ASSERT_EQUAL(repo_db_is_live(db, uid), 0);
	CU_ASSERT_EQUAL(repo_db_insert(db, &d, err, sizeof err),
	    XDS_EEXIST);
	CU_ASSERT_EQUAL(repo_db_live_count(db), 0);
	/* a committed row is not rolled back */
	CU_ASSERT_EQUAL(repo_db_delete_pending(db, uid, HW_SHA256, &refs, err,
	    sizeof err), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(repo_db_get(db, uid, &d, err, sizeof err), XDS_OK);
	/* delete clears a mark */
	row_of(&d, "1.2.3.802");
	CU_ASSERT_EQUAL(repo_db_insert(db, &d, err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(repo_db_delete(db, "1.2.3.802", HW_SHA256, &refs, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(refs, 1);
	CU_ASSERT_EQUAL(repo_db_is_live(db, "1.2.3.802"), 0);
	repo_db_close(db);
}

struct pending_want {
	struct repository	*r;
	long long		 n;		/* pending rows */
	unsigned long long	 passes;	/* passes finished */
};

static int
pending_is(void *arg)
{
	struct pending_want *w = arg;

	return repo_db_count_pending(w->r->db) == w->n;
}

/* Wait for the thread to leave n pending rows; how many it left. */
static long long
wait_pending(struct repository *r, long long n)
{
	struct pending_want w = { r, n, 0 };

	testutil_wait(pending_is, &w, TESTUTIL_DEADLINE_MS);
	return repo_db_count_pending(r->db);
}

static int
passes_done(void *arg)
{
	struct pending_want *w = arg;

	return repository_reconcile_passes(w->r) >= w->passes;
}

/* Wait for n more periodic passes to finish: 1, or 0 at the deadline. */
static int
wait_passes(struct repository *r, unsigned long long n)
{
	struct pending_want w = { r, 0, repository_reconcile_passes(r) + n };

	return testutil_wait(passes_done, &w, TESTUTIL_DEADLINE_MS);
}

/* repository_close in a thread of its own; done counts its return. */
struct closer {
	struct repository	*r;
	struct testutil_count	 done;
};

static void *
closer_run(void *arg)
{
	struct closer *c = arg;

	repository_close(c->r);
	testutil_count_add(&c->done, 1);
	return NULL;
}

static void
test_periodic_reconcile(void)
{
	struct remote_run rr;
	struct conf c = cf;
	struct repo_doc d;
	struct call k;
	char err[256];
	size_t nc = 9, nb = 9;
	struct closer cl = { NULL, TESTUTIL_COUNT_INIT };
	pthread_t ct;

	fresh("periodic", c.node_state_dir, sizeof c.node_state_dir);
	c.repository_reconcile_interval = 1;
	remote_begin(&rr, &c);
	/* two submissions of unknown outcome: pending, no marks left (the
	 * ITI-42 call returned) */
	remote.mode = 1;
	pnr1_says("1.2.3.601", NULL, NULL, ERR_REGISTRY_NOT_AVAILABLE, NULL);
	pnr1_says("1.2.3.705", NULL, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(repo_db_live_count(repo->db), 0);
	/* a row being registered by this thread right now */
	row_of(&d, "1.2.3.706");
	CU_ASSERT_EQUAL(repo_db_insert(repo->db, &d, err, sizeof err),
	    XDS_OK);
	/* registry down: two whole passes (the second starts after this
	 * point) leave everything pending */
	CU_ASSERT_FATAL(wait_passes(repo, 2));
	CU_ASSERT_EQUAL(repo_db_count_pending(repo->db), 3);
	/* registry up (holds 601 only): resolved without a restart; the
	 * live row stays */
	remote.mode = 3;
	CU_ASSERT_EQUAL(wait_pending(repo, 1), 1);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.601", &d, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(d.committed, 1);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.705", &d, err,
	    sizeof err), XDS_ENOTFOUND);
	CU_ASSERT_EQUAL(repo_db_get(repo->db, "1.2.3.706", &d, err,
	    sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(d.committed, 0);
	/* its registration is over (not registered): the next pass rolls
	 * it back; the shared bytes stay for 601 */
	repo_db_release_thread();
	CU_ASSERT_EQUAL(wait_pending(repo, 0), 0);
	CU_ASSERT_EQUAL(blobstore_exists(repo->bs, HW_SHA256), 1);
	repository_reconcile(repo, &nc, &nb);
	CU_ASSERT_EQUAL(nc, 0);
	CU_ASSERT_EQUAL(nb, 0);
	retrieve1(&k, "1.2.3.601");
	CU_ASSERT(says(&k, ST_SUCCESS));
	call_free(&k);
	repository_close(repo);
	/* a long interval: close does not wait for it (it returns well
	 * before the day is over; the deadline only bounds a failure) */
	c.repository_reconcile_interval = 86400;
	CU_ASSERT_EQUAL_FATAL(repository_open(&c, rr.peer, &repo, err,
	    sizeof err), 0);
	cl.r = repo;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ct, NULL, closer_run, &cl), 0);
	CU_ASSERT_FATAL(testutil_count_wait(&cl.done, 1, TESTUTIL_DEADLINE_MS));
	pthread_join(ct, NULL);
	CU_ASSERT_EQUAL_FATAL(repository_open(&c, rr.peer, &repo, err,
	    sizeof err), 0);
	remote_end(&rr);
}

static void
test_parse_found(void)
{
	char err[256];
	static const char one[] = "<q:AdhocQueryResponse xmlns:q=\"" NS_QUERY
	    "\" status=\"" ST_SUCCESS "\"><r:RegistryObjectList xmlns:r=\""
	    NS_RIM "\"><r:ObjectRef id=\"urn:uuid:a\"/></r:RegistryObjectList>"
	    "</q:AdhocQueryResponse>";
	static const char none[] = "<q:AdhocQueryResponse xmlns:q=\"" NS_QUERY
	    "\" status=\"" ST_SUCCESS "\"><r:RegistryObjectList xmlns:r=\""
	    NS_RIM "\"/></q:AdhocQueryResponse>";
	static const char fail[] = "<q:AdhocQueryResponse xmlns:q=\"" NS_QUERY
	    "\" status=\"" ST_FAILURE "\"/>";

	CU_ASSERT_EQUAL(registry_client_parse_found(one, sizeof one - 1, err,
	    sizeof err), 1);
	CU_ASSERT_EQUAL(registry_client_parse_found(none, sizeof none - 1, err,
	    sizeof err), 0);
	CU_ASSERT_EQUAL(registry_client_parse_found(fail, sizeof fail - 1, err,
	    sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failure"));
	CU_ASSERT_EQUAL(registry_client_parse_found("<x/>", 4, err,
	    sizeof err), -1);
}

static void
test_parse_response(void)
{
	struct rim_errors e;
	char err[256];
	static const char ok[] = "<s:Envelope xmlns:s=\"" NS_SOAP12 "\"><s:Body>"
	    "<rs:RegistryResponse xmlns:rs=\"" NS_RS "\" status=\"" ST_SUCCESS
	    "\"/></s:Body></s:Envelope>";
	static const char bad[] = "<rs:RegistryResponse xmlns:rs=\"" NS_RS
	    "\" status=\"" ST_FAILURE "\"><rs:RegistryErrorList><rs:RegistryError "
	    "errorCode=\"XDSRegistryError\" codeContext=\"c\" severity=\""
	    SEV_WARNING "\"/></rs:RegistryErrorList></rs:RegistryResponse>";

	rim_errors_init(&e);
	CU_ASSERT_EQUAL(registry_client_parse_response(ok, sizeof ok - 1, &e,
	    err, sizeof err), XDS_OK);
	CU_ASSERT_EQUAL(e.n, 0);
	CU_ASSERT_EQUAL(registry_client_parse_response(bad, sizeof bad - 1, &e,
	    err, sizeof err), REGC_FAILURE);
	/* the warning, then an error because a Failure had none */
	CU_ASSERT_EQUAL(e.n, 2);
	CU_ASSERT_EQUAL(e.v[0].warning, 1);
	CU_ASSERT_EQUAL(registry_client_parse_response("<x/>", 4, &e, err,
	    sizeof err), XDS_EANSWER);
	CU_ASSERT_EQUAL(registry_client_parse_response("<x", 2, &e, err,
	    sizeof err), XDS_EANSWER);
	rim_errors_free(&e);
}

static const struct cutest blobstore_tests[] = {
	{ "put, dedup, get, delete", test_blob_put_dedup },
	{ "stage before commit", test_blob_stage_order },
	{ "sweep", test_blob_sweep },
	{ "verify against recorded size and hash", test_blob_verify },
};

static const struct cutest repository_tests[] = {
	{ "open errors", test_open_errors },
	{ "submit and retrieve", test_submit_retrieve },
	{ "ITI-86 remove documents", test_remove_documents },
	{ "registry failure, shared blob", test_registry_failure },
	{ "registry failure, new blob", test_registry_failure_new_bytes },
	{ "hash and size", test_hash_size },
	{ "P1 and duplicate uniqueId", test_pairing },
	{ "max_document_size", test_too_big },
	{ "registry response parser", test_parse_response },
	{ "remote registry", test_remote_registry },
	{ "live marks", test_live_marks },
	{ "pool opened on demand", test_pool_on_demand },
	{ "periodic reconcile", test_periodic_reconcile },
	{ "GetDocuments answer parser", test_parse_found },
};

static const struct cutest_suite suites[] = {
	{ "blobstore", NULL, NULL, blobstore_tests, NELEM(blobstore_tests) },
	{ "repository", suite_init, suite_clean,
	    repository_tests, NELEM(repository_tests) },
};

int
main(void)
{
	int rc;

	xml_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	if (testutil_tmpdir("repository", tmpdir, sizeof tmpdir) != 0)
		return 99;
	if ((rc = cutest_run_suites(suites, NELEM(suites))) == 0)
		(void)testutil_rmtree(tmpdir);
	return rc;
}
