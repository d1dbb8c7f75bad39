//! Tests of the shared test harness itself (`common/mod.rs`): the rule that a test whose
//! outside dependency is missing skips on a developer's machine and fails under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::ffi::OsStr;

use common::{ci_value_means_ci, fresh_pg_database_at, missing_when};

#[test]
#[should_panic(
    expected = "CI is set, so this test fails instead of skipping: PostgreSQL is missing; \
                start it on 127.0.0.1:5432"
)]
fn under_ci_a_missing_dependency_fails_the_test_naming_it_and_its_remedy() {
    missing_when(true, "PostgreSQL", "start it on 127.0.0.1:5432");
}

#[test]
fn outside_ci_a_missing_dependency_skips_the_test() {
    assert_eq!(
        missing_when(false, "PostgreSQL", "start it on 127.0.0.1:5432"),
        "PostgreSQL is missing; start it on 127.0.0.1:5432"
    );
}

#[test]
fn ci_is_any_value_of_the_variable_but_empty_0_or_false() {
    for (value, ci) in [
        (None, false),
        (Some(""), false),
        (Some("0"), false),
        (Some("false"), false),
        (Some("true"), true),
        (Some("1"), true),
    ] {
        assert_eq!(ci_value_means_ci(value.map(OsStr::new)), ci, "CI={value:?}");
    }
}

/// A URL of the local machine where no PostgreSQL listens: a port bound, then released.
fn unreachable_pg_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("postgres://postgres@127.0.0.1:{port}/test")
}

/// The PostgreSQL variants of the API tests go through the rule: without a server they skip
/// outside CI...
#[tokio::test]
async fn without_postgresql_the_postgres_variants_skip_outside_ci() {
    assert!(fresh_pg_database_at(&unreachable_pg_url(), false)
        .await
        .is_none());
}

/// ... and fail under CI, naming PostgreSQL and what to do.
#[tokio::test]
#[should_panic(expected = "this test fails instead of skipping: PostgreSQL (postgres://")]
async fn without_postgresql_the_postgres_variants_fail_under_ci() {
    fresh_pg_database_at(&unreachable_pg_url(), true).await;
}
