/*
 * log.h: levelled logging to stderr or syslog, shared by every daemon and
 * tool. The level can change at run time (log_set_level is atomic).
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE };

/* ident is borrowed for the program's life. */
void	log_init(const char *ident, bool use_syslog, enum log_level level);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug", "trace" (or 0-4); -1 if unknown. */
int	log_level_parse(const char *s);
const char *log_level_name(enum log_level level);
bool	log_enabled(enum log_level level);
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
#define log_trace(...)	do { if (log_enabled(LOG_LVL_TRACE)) log_msg(LOG_LVL_TRACE, __VA_ARGS__); } while (0)

#endif
