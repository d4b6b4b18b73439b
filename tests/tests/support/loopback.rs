//! A loopback HTTP/1.1 test server with fixed routes, recording every
//! request it gets; shared by the outbound-HTTP tests (`http.rs`,
//! `http_js.rs`). Each test starts its own and grants it explicitly.
//!
//! Routes (an `/api` prefix is ignored, so grants can name `/api`):
//! `/hello` 200 "hello from loopback"; `/method` 200 with the method;
//! `/echo` 201 "<method> <x-echo header> <body>"; `/redirect?to=URL` 302;
//! `/endless` 200 with a body that never ends; `/big` 200 declaring 64 MiB;
//! `/silent` never answers (30 s); `/hold` 200 after 500 ms; else 404.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// A running server (threads end with the test process).
pub struct Server {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Server { port, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.insert(k.to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    log.lock().push(Seen {
        method: method.clone(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let mut out = stream;
    let reply = |out: &mut TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            out,
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
    };
    let route = path.split('?').next().unwrap_or_default();
    match route.strip_prefix("/api").unwrap_or(route) {
        "/hello" => reply(
            &mut out,
            "200 OK",
            "x-served-by: loopback\r\n",
            "hello from loopback",
        ),
        "/method" => reply(&mut out, "200 OK", "", &method),
        "/echo" => {
            let echoed = headers.get("x-echo").cloned().unwrap_or_default();
            reply(
                &mut out,
                "201 Created",
                "",
                &format!("{method} {echoed} {body}"),
            );
        }
        "/redirect" => {
            let to = path.split_once("?to=").map_or("", |(_, t)| t);
            reply(&mut out, "302 Found", &format!("location: {to}\r\n"), "");
        }
        "/endless" => {
            let _ = write!(out, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
            let chunk = vec![b'x'; 64 * 1024];
            while out.write_all(&chunk).is_ok() {}
        }
        "/big" => {
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                64 << 20
            );
        }
        "/silent" => std::thread::sleep(Duration::from_secs(30)),
        "/hold" => {
            std::thread::sleep(Duration::from_millis(500));
            reply(&mut out, "200 OK", "", "held");
        }
        _ => reply(&mut out, "404 Not Found", "", "no such route"),
    }
}
