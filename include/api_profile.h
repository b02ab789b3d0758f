/* api_profile.h - the api's routes of one stored profile: POST and GET
 * /api/profiles (upload, list), and under /api/profiles/<id> its metadata,
 * functions, one function, tree, path, source lines, exports and DELETE
 * (docs/API.md).  api.c parses the path and dispatches to them; these use
 * its model cache and store connections (api_route.h) and its status
 * mapping (pv_api_error). */
#ifndef PV_API_PROFILE_H
#define PV_API_PROFILE_H

#include <stdbool.h>

#include "api.h"

/* Each answers into res as pv_api_handle() set it up, and never fails
 * (errors are JSON). */

/* POST /api/profiles: store the uploaded stats file or memory data. */
void pv_api_profile_upload(struct pv_api *api, const struct pv_request *req,
                           struct pv_response *res);

/* GET or HEAD /api/profiles: a page of the stored profiles (404 unless
 * the server lists them). */
void pv_api_profile_list(struct pv_api *api, const struct pv_request *req,
                         struct pv_response *res);

/* Any method of /api/profiles/<id><rest>: id is a well-formed profile id,
 * rest the path after it ("", "/tree", ...).  Both are borrowed for the
 * call. */
void pv_api_profile_handle(struct pv_api *api, const struct pv_request *req, const char *id,
                           const char *rest, struct pv_response *res);

/* Whether a GET or HEAD of /api/profiles/<id><rest> is heavy, as
 * pv_api_is_heavy() says.  Cannot fail: when in doubt, light. */
bool pv_api_profile_is_heavy(struct pv_api *api, const struct pv_request *req, const char *id,
                             const char *rest);

#endif
