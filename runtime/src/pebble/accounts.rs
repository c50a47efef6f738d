//! The workload container's users and groups (its `/etc/passwd` and
//! `/etc/group`), which Pebble consults to resolve `user:`/`group:` and to
//! check that `user-id`/`group-id` agree (`osutil.NormalizeUidGid`).

use std::collections::BTreeMap;

pub use crate::state::container::User;

/// Users and groups by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Accounts {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, u32>,
}

impl Default for Accounts {
    /// `root` (0:0, home `/root`) only.
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert(
            "root".to_string(),
            User {
                uid: 0,
                gid: 0,
                home: Some("/root".into()),
            },
        );
        let mut groups = BTreeMap::new();
        groups.insert("root".to_string(), 0);
        Accounts { users, groups }
    }
}

impl Accounts {
    /// Defaults plus the given users and groups.
    pub fn with(users: &BTreeMap<String, User>, groups: &BTreeMap<String, u32>) -> Accounts {
        let mut a = Accounts::default();
        a.users
            .extend(users.iter().map(|(k, v)| (k.clone(), v.clone())));
        a.groups.extend(groups.iter().map(|(k, v)| (k.clone(), *v)));
        a
    }

    pub fn user_by_id(&self, uid: u32) -> Option<(&str, &User)> {
        self.users
            .iter()
            .find(|(_, u)| u.uid == uid)
            .map(|(n, u)| (n.as_str(), u))
    }

    pub fn group_by_id(&self, gid: u32) -> Option<&str> {
        self.groups
            .iter()
            .find(|(_, g)| **g == gid)
            .map(|(n, _)| n.as_str())
    }

    /// `osutil.NormalizeUidGid`: resolve names, check ids agree, and
    /// require both a user and a group (or neither).
    pub fn normalize(
        &self,
        uid: Option<i64>,
        gid: Option<i64>,
        user: &str,
        group: &str,
    ) -> Result<Option<(i64, i64)>, String> {
        if uid.is_none() && user.is_empty() && gid.is_none() && group.is_empty() {
            return Ok(None);
        }
        let (mut uid, mut gid) = (uid, gid);
        if !user.is_empty() {
            let u = self
                .users
                .get(user)
                .ok_or_else(|| format!("user: unknown user {user}"))?;
            let n = i64::from(u.uid);
            if let Some(given) = uid
                && given != n
            {
                return Err(format!(
                    "user {} UID ({n}) does not match user-id ({given})",
                    crate::go::quote::quote(user)
                ));
            }
            uid = Some(n);
            if gid.is_none() && group.is_empty() {
                gid = Some(i64::from(u.gid));
            }
        }
        if !group.is_empty() {
            let g = *self
                .groups
                .get(group)
                .ok_or_else(|| format!("group: unknown group {group}"))?;
            let n = i64::from(g);
            if let Some(given) = gid
                && given != n
            {
                return Err(format!(
                    "group {} GID ({n}) does not match group-id ({given})",
                    crate::go::quote::quote(group)
                ));
            }
            gid = Some(n);
        }
        match (uid, gid) {
            (None, Some(_)) => Err("must specify user, not just group".into()),
            (Some(_), None) => Err("must specify group, not just user".into()),
            (Some(u), Some(g)) => Ok(Some((u, g))),
            (None, None) => Ok(None),
        }
    }
}
