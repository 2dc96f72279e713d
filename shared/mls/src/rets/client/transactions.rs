//! The RETS transactions (Login, GetMetadata, Search, GetObject, Logout)
//! over the session's authenticated, retried GET.

use super::*;

impl RetsClient {
    /// Logs in: reads the capabilities and resolves them against the
    /// login URL.
    pub async fn login(&mut self) -> Result<&LoginReply, RetsError> {
        let url = self.login_url.clone();
        // The login itself is never retried by logging in again.
        self.logged_in = false;
        let (_, body) = self.get(url.clone()).await?;
        let reply = login::parse(&body).map_err(|e| match e {
            ReplyError::Reply { code, text } => RetsError::Auth(format!("{code}: {text}")),
            other => RetsError::Reply {
                url: url.to_string(),
                error: other,
            },
        })?;
        self.capabilities.clear();
        for (name, target) in &reply.capabilities {
            let resolved = url
                .join(target.trim())
                .map_err(|_| RetsError::BadUrl(target.clone()))?;
            self.capabilities.insert(name.clone(), resolved);
        }
        self.logged_in = true;
        Ok(self.login_reply.insert(reply))
    }

    /// GetMetadata in COMPACT form, e.g. (`METADATA-TABLE`, `Property:RES`).
    pub async fn metadata(&mut self, kind: &str, id: &str) -> Result<Metadata, RetsError> {
        let url = self.url(
            "GetMetadata",
            &[("Type", kind), ("ID", id), ("Format", "COMPACT")],
        )?;
        let (_, body) = self.get(url.clone()).await?;
        self.reply(&url, metadata::parse(&body))
    }

    /// The metadata a search of the configured class needs: the resource
    /// (its key field), its classes (to say which exist when the configured
    /// one does not), the class's table, and the lookups it uses (all at
    /// once with `Resource:*`, else one by one).
    pub async fn class_metadata(&mut self) -> Result<Metadata, RetsError> {
        let (resource, class) = (self.config.resource.clone(), self.config.class.clone());
        let mut m = self.metadata("METADATA-RESOURCE", "0").await?;
        m.merge(self.metadata("METADATA-CLASS", &resource).await?);
        let classes: Vec<&str> = m
            .classes
            .iter()
            .filter_map(|(_, row)| row.get("ClassName").map(String::as_str))
            .collect();
        if !classes.is_empty() && !classes.iter().any(|c| c.eq_ignore_ascii_case(&class)) {
            return Err(RetsError::UnknownClass {
                resource,
                class,
                available: classes.join(", "),
            });
        }
        m.merge(
            self.metadata("METADATA-TABLE", &format!("{resource}:{class}"))
                .await?,
        );
        match self
            .metadata("METADATA-LOOKUP_TYPE", &format!("{resource}:*"))
            .await
        {
            Ok(all) => m.merge(all),
            Err(RetsError::Reply { .. }) => {
                for name in m.lookup_names(&resource, &class) {
                    let one = self
                        .metadata("METADATA-LOOKUP_TYPE", &format!("{resource}:{name}"))
                        .await?;
                    m.merge(one);
                }
            }
            Err(e) => return Err(e),
        }
        Ok(m)
    }

    /// One page of a DMQL2 search, COMPACT, from `offset` (1-based).
    pub async fn search(&mut self, query: &str, offset: usize) -> Result<CompactReply, RetsError> {
        let limit = self.config.page_size.max(1).to_string();
        let offset = offset.max(1).to_string();
        let (resource, class) = (self.config.resource.clone(), self.config.class.clone());
        let url = self.url(
            "Search",
            &[
                ("SearchType", &resource),
                ("Class", &class),
                ("QueryType", "DMQL2"),
                ("Query", query),
                ("Format", "COMPACT"),
                ("StandardNames", "0"),
                ("Count", "1"),
                ("Limit", &limit),
                ("Offset", &offset),
            ],
        )?;
        let (_, body) = self.get(url.clone()).await?;
        self.reply(&url, compact::parse(&body))
    }

    /// GetObject: `ids` like `L1:*` (all photos of L1) or `L1:1:2`. With
    /// `location`, the server may send URLs instead of bytes. A missing
    /// object is a part with [`ObjectPart::is_missing`], not an error.
    pub async fn get_object(
        &mut self,
        kind: &str,
        ids: &str,
        location: bool,
    ) -> Result<Vec<ObjectPart>, RetsError> {
        let resource = self.config.resource.clone();
        let url = self.url(
            "GetObject",
            &[
                ("Resource", &resource),
                ("Type", kind),
                ("ID", ids),
                ("Location", if location { "1" } else { "0" }),
            ],
        )?;
        let (headers, body) = self.get(url.clone()).await?;
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if let Some(boundary) = multipart::boundary(&content_type) {
            return multipart::parse(&body, &boundary).map_err(|why| RetsError::Reply {
                url: url.to_string(),
                error: ReplyError::NotRets(why),
            });
        }
        let header_pairs: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        Ok(vec![ObjectPart::new(
            header_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            body,
        )])
    }

    /// Logs out, as a courtesy: errors are logged, not returned.
    pub async fn logout(&mut self) {
        if !self.logged_in {
            return;
        }
        self.logged_in = false;
        let Ok(url) = self.url("Logout", &[]) else {
            return;
        };
        if let Err(e) = self.get_once(&url).await {
            tracing::info!("RETS logout failed (ignored): {e}");
        }
    }
}
