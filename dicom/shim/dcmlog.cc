// dcmlog.cc: DCMTK's own log lines go through our log module (log.h):
// with its timestamp and level, to stderr or syslog as the node logs, and
// with control characters escaped, so that text a peer sent (an AE title
// with a newline in an A-ASSOCIATE-RQ) cannot start a forged log line.
// Each DCMTK message, however many lines, is one record.
#include "dcmtk/config/osconfig.h"

#include "dcmtk/oflog/appender.h"
#include "dcmtk/oflog/logger.h"
#include "dcmtk/oflog/oflog.h"
#include "dcmtk/oflog/spi/logevent.h"

#include "dcmshim.h"
#include "dcmshim_int.h"

extern "C" {
#include "log.h"
}

namespace {

namespace l4 = dcmtk::log4cplus;

class LogModuleAppender : public l4::Appender {
public:
	LogModuleAppender() {}
	~LogModuleAppender() override { destructorImpl(); }

	void
	close() override
	{
	}

protected:
	void
	append(const l4::spi::InternalLoggingEvent &ev) override
	{
		int lvl;

		if (ev.getLogLevel() >= l4::ERROR_LOG_LEVEL)
			lvl = LOG_LVL_ERROR;
		else if (ev.getLogLevel() >= l4::WARN_LOG_LEVEL)
			lvl = LOG_LVL_WARN;
		else if (ev.getLogLevel() >= l4::INFO_LOG_LEVEL)
			lvl = LOG_LVL_INFO;
		else
			lvl = LOG_LVL_DEBUG;
		log_at(lvl, 0, "dcmtk: %s", ev.getMessage().c_str());
	}
};

} // namespace

extern "C" void
dcmshim_log_init(void)
{
	static bool routed = false;

	try {
		OFLog::configure(OFLogger::WARN_LOG_LEVEL);
		if (!routed) {
			l4::Logger root = l4::Logger::getRoot();

			// DCMTK's console appender writes "W: text" without a
			// time and passes a peer's newline through.
			root.removeAllAppenders();
			root.addAppender(l4::SharedAppenderPtr(
			    new LogModuleAppender()));
			routed = true;
		}
		// "PixelData encountered, skipping rest of dataset" is how we
		// read headers, not news.
		OFLog::getLogger("dcmtk.dcmdata").setLogLevel(
		    OFLogger::ERROR_LOG_LEVEL);
		// "Check for template constraints not yet supported" (TID 2010)
		OFLog::getLogger("dcmtk.dcmsr").setLogLevel(
		    OFLogger::ERROR_LOG_LEVEL);
	} catch (...) {
	}
}

extern "C" void
dcmshim_log_level(enum dcmshim_log_level level)
{
	OFLogger::LogLevel l;

	switch (level) {
	case DCMSHIM_LOG_ERROR:
		l = OFLogger::ERROR_LOG_LEVEL;
		break;
	case DCMSHIM_LOG_WARN:
		l = OFLogger::WARN_LOG_LEVEL;
		break;
	case DCMSHIM_LOG_INFO:
		l = OFLogger::INFO_LOG_LEVEL;
		break;
	default:
		l = OFLogger::DEBUG_LOG_LEVEL;
		break;
	}
	try {
		// The root logger: dcmdata and dcmsr keep the ERROR level
		// dcmshim_log_init gave them (their warnings are our method).
		OFLog::getLogger("dcmtk").setLogLevel(l);
	} catch (...) {
	}
}
