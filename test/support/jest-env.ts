// Quiet Powertools in tests (loggers are created at import time, before any test code runs).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
// The machines run Node 20 (Lambda runs 22); the SDK's notice about Node 22 is known and only noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
