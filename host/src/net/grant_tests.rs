use super::*;
use crate::secrets::SecretSource;

fn grants(specs: &[&str]) -> NetGrants {
    let specs: Vec<_> = specs
        .iter()
        .map(|s| NetGrantSpec::parse_cli(s).unwrap())
        .collect();
    NetGrants::open(&specs, &SecretSources::default()).unwrap()
}

fn check(g: &NetGrants, method: &str, url: &str) -> Result<(), &'static str> {
    let (scheme, rest) = url.split_once("://").unwrap();
    let scheme = Scheme::parse(scheme).unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = split_authority(authority).unwrap();
    let host = RequestHost::parse(host).unwrap();
    let target = RequestTarget {
        method,
        scheme,
        host: &host,
        port: port.unwrap_or(scheme.default_port()),
        path: if path.is_empty() { "/" } else { path },
    };
    g.check(&target).map(|_| ()).map_err(|e| e.code())
}

#[test]
fn the_denial_matrix() {
    let g = grants(&[
        "https://api.example.com/v1,methods=GET+POST",
        "http://127.0.0.1:8080/",
        "https://*.cdn.example.net",
    ]);
    let cases: [(&str, &str, Result<(), &str>); 22] = [
        ("GET", "https://api.example.com/v1", Ok(())),
        ("GET", "https://api.example.com/v1/users", Ok(())),
        ("POST", "https://api.example.com/v1/x", Ok(())),
        ("GET", "https://API.Example.com./v1/x", Ok(())),
        ("GET", "https://api.example.com:443/v1/x", Ok(())),
        (
            "DELETE",
            "https://api.example.com/v1/x",
            Err("method-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com/v1x",
            Err("path-not-granted"),
        ),
        ("GET", "https://api.example.com/v2", Err("path-not-granted")),
        (
            "GET",
            "https://api.example.com/v1/../admin",
            Err("path-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com/v1/%2e%2e/admin",
            Err("path-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com/v1/..%2Fadmin",
            Err("path-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com/v1\\..\\admin",
            Err("path-not-granted"),
        ),
        (
            "GET",
            "http://api.example.com/v1",
            Err("scheme-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com:8443/v1",
            Err("port-not-granted"),
        ),
        ("GET", "https://example.com/v1", Err("host-not-granted")),
        (
            "GET",
            "https://evil-api.example.com/v1",
            Err("host-not-granted"),
        ),
        (
            "GET",
            "https://api.example.com.evil.org/v1",
            Err("host-not-granted"),
        ),
        ("GET", "http://127.0.0.1:8080/anything", Ok(())),
        ("GET", "http://127.0.0.1:8081/", Err("port-not-granted")),
        ("GET", "http://[::1]:8080/", Err("host-not-granted")),
        ("GET", "https://a.cdn.example.net/x", Ok(())),
        ("GET", "https://cdn.example.net/x", Err("host-not-granted")),
    ];
    for (method, url, expected) in cases {
        assert_eq!(check(&g, method, url), expected, "{method} {url}");
    }
    assert_eq!(
        check(&NetGrants::default(), "GET", "https://a.b/"),
        Err("host-not-granted")
    );
}

#[test]
fn special_addresses_need_the_grant_to_name_them() {
    let g = grants(&[
        "https://api.example.com",
        "http://127.0.0.1:9/",
        "http://intranet.example,private",
    ]);
    let by_host = |h: &str| {
        g.iter()
            .find(|x| {
                matches!(&x.host, HostPattern::Exact(n) if n == h)
                    || matches!(x.host, HostPattern::Ip(ip) if ip.to_string() == h)
            })
            .unwrap()
            .clone()
    };
    let api = by_host("api.example.com");
    assert!(api.allows_address("93.184.216.34".parse().unwrap()));
    for special in [
        "127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "::ffff:127.0.0.1",
    ] {
        assert!(!api.allows_address(special.parse().unwrap()), "{special}");
    }
    let ip = by_host("127.0.0.1");
    assert!(ip.allows_address("127.0.0.1".parse().unwrap()));
    assert!(!ip.allows_address("169.254.169.254".parse().unwrap()));
    assert!(by_host("intranet.example").allows_address("10.1.2.3".parse().unwrap()));
}

#[test]
fn bad_specs_are_refused_with_codes() {
    for bad in [
        "ftp://example.com",
        "example.com",
        "https://",
        "https://Example.com",
        "https://exa mple.com",
        "https://example.com:0",
        "https://example.com:99999",
        "https://example.com:",
        "https://*.com.",
        "https://*",
        "https://example.com/a/../b",
        "https://example.com/a%2fb",
        "https://example.com/?q=1",
        "https://example.com,methods=get",
        "https://example.com,inject=host:raw:tok",
        "https://example.com,inject=authorization:weird:tok",
        "https://example.com,unknown",
        "https://user@example.com",
        "https://1.2.3",
    ] {
        let err = NetGrantSpec::parse_cli(bad)
            .and_then(|s| s.open(&SecretSources::default()))
            .unwrap_err();
        assert_eq!(err.code(), "invalid-net-grant", "{bad}: {err}");
    }
    let err = NetGrantSpec::parse_cli("https://example.com,inject=authorization:bearer:gh-token")
        .unwrap()
        .open(&SecretSources::default())
        .unwrap_err();
    assert_eq!(err.code(), "secret-not-configured");
}

#[test]
fn injections_resolve_and_never_print_their_value() {
    let mut secrets = SecretSources::default();
    secrets.insert(
        SecretName::parse("gh-token").unwrap(),
        SecretSource::Literal(SecretValue::new("ghp_plantedVALUE").unwrap()),
    );
    let grant =
        NetGrantSpec::parse_cli("https://api.example.com,inject=Authorization:bearer:gh-token")
            .unwrap()
            .open(&secrets)
            .unwrap();
    assert_eq!(grant.inject[0].value.expose(), "ghp_plantedVALUE");
    let shown = format!("{grant:?}");
    assert!(
        shown.contains("authorization <- secret:gh-token"),
        "{shown}"
    );
    assert!(!shown.contains("plantedVALUE"), "{shown}");
}
