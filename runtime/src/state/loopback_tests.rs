use super::*;

fn answers() -> Vec<HttpAnswer> {
    serde_json::from_value(serde_json::json!([
        {"port": 8000, "path": "/version", "json": {"version": "0.0.1"}},
        {"port": 8000, "path": "/items?page=2", "body": "second page"},
        {"port": 8000, "method": "POST", "path": "/items", "status": 201,
         "headers": {"Location": "/items/7"}, "body": {"base64": "/w=="}},
        {"port": 9090, "path": "/-/ready", "status": 503, "body": "not ready"},
    ]))
    .unwrap()
}

fn get(target: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        target: target.into(),
        headers: vec![("Host".into(), "localhost:8000".into())],
        body: vec![],
    }
}

#[test]
fn a_port_with_no_answer_refuses_the_connection() {
    assert!(connect(&answers(), 8000).is_ok());
    assert!(connect(&answers(), 9090).is_ok());
    let Err(LoopbackError::Refused(m)) = connect(&answers(), 8001) else {
        panic!("port 8001 answered")
    };
    assert!(m.contains("port 8001"), "{m}");
    assert!(matches!(
        serve(&answers(), 8001, &get("/version")),
        Err(LoopbackError::Refused(_))
    ));
}

#[test]
fn answers_match_port_method_and_path() {
    let r = serve(&answers(), 8000, &get("/version?verbose=1")).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, br#"{"version":"0.0.1"}"#);
    assert_eq!(
        r.headers,
        vec![("Content-Type".to_string(), "application/json".to_string())]
    );
    // An answer with a query matches that query only.
    let r = serve(&answers(), 8000, &get("/items?page=2")).unwrap();
    assert_eq!(r.body, b"second page");
    let mut post = get("/items");
    post.method = "POST".into();
    post.body = b"{}".to_vec();
    let r = serve(&answers(), 8000, &post).unwrap();
    assert_eq!((r.status, r.body.as_slice()), (201, &[0xff_u8][..]));
    assert_eq!(r.headers, vec![("Location".into(), "/items/7".into())]);
    let r = serve(&answers(), 9090, &get("/-/ready")).unwrap();
    assert_eq!((r.status, r.body.as_slice()), (503, &b"not ready"[..]));
}

#[test]
fn unserved_paths_and_methods_get_what_a_server_says() {
    let r = serve(&answers(), 8000, &get("/nothing")).unwrap();
    assert_eq!(r.status, 404);
    // /items is served for POST, and for GET only with ?page=2.
    let r = serve(&answers(), 8000, &get("/items")).unwrap();
    assert_eq!(r.status, 405);
    assert!(r.headers.contains(&("Allow".into(), "POST".into())));
    let mut head = get("/version");
    head.method = "HEAD".into();
    let r = serve(&answers(), 8000, &head).unwrap();
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[test]
fn hostile_requests_are_refused_before_any_answer() {
    let bad = |f: &dyn Fn(&mut HttpRequest)| {
        let mut r = get("/version");
        f(&mut r);
        match serve(&answers(), 8000, &r) {
            Err(LoopbackError::Invalid(m)) => m,
            other => panic!("taken: {other:?}"),
        }
    };
    assert!(bad(&|r| r.method = "GE T".into()).contains("not an HTTP method"));
    assert!(bad(&|r| r.method = String::new()).contains("not an HTTP method"));
    assert!(bad(&|r| r.target = "version".into()).contains("request target"));
    assert!(bad(&|r| r.target = format!("/{}", "a".repeat(MAX_TARGET))).contains("target"));
    assert!(bad(&|r| r.target = "/a b".into()).contains("target"));
    assert!(
        bad(&|r| r.headers.push(("X".into(), "a\r\nInjected: 1".into()))).contains("line break")
    );
    assert!(bad(&|r| r.headers.push(("Bad Name".into(), "v".into()))).contains("header name"));
    assert!(
        bad(&|r| r.headers =
            vec![("X".into(), "v".into()); crate::capability::loopback::MAX_HEADERS + 1])
        .contains("headers")
    );
    assert!(bad(&|r| r.headers = vec![("X".into(), "v".repeat(70_000))]).contains("bytes"));
}

#[test]
fn answers_the_host_cannot_give_are_named_by_field() {
    let check = |v: serde_json::Value| {
        let a: HttpAnswer = serde_json::from_value(v).unwrap();
        check_answer(&a).err().map(|(field, _)| field)
    };
    assert_eq!(
        check(serde_json::json!({"port": 0, "path": "/"})),
        Some("port")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "/", "method": "g et"})),
        Some("method")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "x"})),
        Some("path")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "/", "status": 600})),
        Some("status")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "/", "headers": {"A": "b\nc"}})),
        Some("headers")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "/", "body": "x", "json": 1})),
        Some("body")
    );
    assert_eq!(
        check(serde_json::json!({"port": 1, "path": "/", "body": {"base64": "!!"}})),
        Some("body")
    );
    assert_eq!(check(serde_json::json!({"port": 1, "path": "/"})), None);
}
