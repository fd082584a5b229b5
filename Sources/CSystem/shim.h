#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H
/* Linux system calls that Swift's Glibc module leaves out (epoll, eventfd, accept4, mallopt),
 * declared by the system's own headers. Wrappers only where Swift cannot use the C directly:
 * `struct epoll_event` is packed on x86_64, and flags defined as enum-plus-macro or with casts
 * are given here as typed constants. */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>

/* epoll_event flags and epoll_ctl operations, as the headers define them. */
static const uint32_t CSYSTEM_EPOLLIN = EPOLLIN;
static const uint32_t CSYSTEM_EPOLLOUT = EPOLLOUT;
static const uint32_t CSYSTEM_EPOLLERR = EPOLLERR;
static const uint32_t CSYSTEM_EPOLLHUP = EPOLLHUP;
static const uint32_t CSYSTEM_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CSYSTEM_EPOLLET = EPOLLET;
static const int CSYSTEM_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CSYSTEM_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
static const int CSYSTEM_EPOLL_CLOEXEC = EPOLL_CLOEXEC;
static const int CSYSTEM_EFD_NONBLOCK = EFD_NONBLOCK;
static const int CSYSTEM_EFD_CLOEXEC = EFD_CLOEXEC;
static const int CSYSTEM_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CSYSTEM_SOCK_CLOEXEC = SOCK_CLOEXEC;
static const int CSYSTEM_M_ARENA_MAX = M_ARENA_MAX;

/* The size of one `struct epoll_event` (12 bytes on x86_64, where it is packed; 16 elsewhere). */
static const int CSYSTEM_EPOLL_EVENT_SIZE = (int)sizeof(struct epoll_event);

/* An epoll_event for `fd` (the data carries the descriptor). */
static inline struct epoll_event csystem_epoll_event_make(uint32_t events, int fd) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = 0;
    ev.data.fd = fd;
    return ev;
}

/* epoll_ctl with an event built from (events, fd); the packed struct never crosses into Swift. */
static inline int csystem_epoll_ctl(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event ev = csystem_epoll_event_make(events, fd);
    return epoll_ctl(epfd, op, fd, &ev);
}

/* epoll_wait into a buffer of `capacity` events that Swift holds as raw bytes. */
static inline int csystem_epoll_wait(int epfd, void *events, int capacity, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, capacity, timeout_ms);
}

/* The flags of entry `i` of an epoll_wait buffer. */
static inline uint32_t csystem_epoll_event_events(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].events;
}

/* The descriptor of entry `i` of an epoll_wait buffer (as stored by csystem_epoll_event_make). */
static inline int csystem_epoll_event_fd(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].data.fd;
}

/* accept4(2). glibc declares it only under _GNU_SOURCE, which cannot be defined here: Swift's
 * Glibc module is built without it and the two views of <sys/select.h> would clash. So the call
 * goes through syscall(2) with the number from <sys/syscall.h>; it returns -1 and sets errno as
 * accept4 does. */
static inline int csystem_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

/* mallopt(M_ARENA_MAX, n): caps glibc's malloc arenas. */
static inline int csystem_mallopt_arena_max(int n) { return mallopt(M_ARENA_MAX, n); }
#endif
