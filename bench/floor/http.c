/*
 * The floor for bench/b6-http.sh: an HTTP/1.1 server that does nothing but answer every request with
 * the same small JSON body, keep-alive, one thread per connection (the connection model of Grille's
 * HTTPServer), blocking sockets. No routing, no logging, no JSON, no database.
 *
 * Usage: http PORT        (listens on 127.0.0.1:PORT; 0 picks a free port)
 * Prints "listening on http://127.0.0.1:PORT" on stdout once it accepts, then serves until killed.
 *
 * Requests are read up to the end of their head; a Content-Length body is read and discarded.
 * Spec: RFC 9112 (HTTP/1.1 message syntax, persistent connections).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static const char body[] =
    "{\"academy\":\"Banc d'essai\",\"epoch\":\"0123456789abcdef\",\"protocol\":1,"
    "\"server_time\":1795365305442,\"status\":\"ok\"}";
static char response[512];
static size_t response_length;

static int send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n <= 0) return -1;
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* The Content-Length of a request head (0 when absent). */
static size_t content_length(const char *head, size_t length) {
    const char *p = head, *end = head + length;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0) return strtoul(p + 15, NULL, 10);
        p = eol + 2;
    }
    return 0;
}

static void *serve(void *arg) {
    int fd = (int)(long)arg;
    char buffer[65536];
    size_t used = 0;
    for (;;) {
        char *end = used ? memmem(buffer, used, "\r\n\r\n", 4) : NULL;
        if (!end) {
            if (used == sizeof buffer) break;
            ssize_t n = recv(fd, buffer + used, sizeof buffer - used, 0);
            if (n <= 0) break;
            used += (size_t)n;
            continue;
        }
        size_t head = (size_t)(end - buffer) + 4;
        size_t skip = head + content_length(buffer, head);
        while (used < skip) {  /* the body: read and drop */
            size_t drop = used;
            used = 0;
            skip -= drop;
            ssize_t n = recv(fd, buffer, sizeof buffer < skip ? sizeof buffer : skip, 0);
            if (n <= 0) goto done;
            used = (size_t)n;
        }
        memmove(buffer, buffer + skip, used - skip);
        used -= skip;
        if (send_all(fd, response, response_length) != 0) break;
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: http PORT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    response_length = (size_t)snprintf(response, sizeof response,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
        "Cache-Control: no-store\r\nDate: Mon, 07 Dec 2026 08:00:00 GMT\r\n\r\n%s", sizeof body - 1, body);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1024) != 0) {
        perror("http: bind/listen");
        return 1;
    }
    socklen_t size = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &size);
    printf("listening on http://127.0.0.1:%d\n", ntohs(address.sin_port));
    fflush(stdout);

    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t thread;
        if (pthread_create(&thread, &attributes, serve, (void *)(long)fd) != 0) close(fd);
    }
}
