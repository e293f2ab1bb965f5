package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// route is one API operation. The table below is the one place routes are
// declared: New registers them and the OpenAPI document is made from them.
type route struct {
	method  string
	path    string // Fiber syntax, below /api/v1
	summary string
	tag     string
	public  bool          // no token needed
	roles   []cunjie.Role // nil: any logged-in user
	handler fiber.Handler
	// body and response name the JSON shapes for the OpenAPI document.
	body     string
	response string
}

var (
	adminOnly    = []cunjie.Role{cunjie.RoleAdmin}
	staffWriters = []cunjie.Role{cunjie.RoleAdmin, cunjie.RoleInspector}
)

func (s *Server) routeTable() []route {
	routes := []route{
		{method: "POST", path: "/auth/login", summary: "Log in with username and password; answers a bearer token", tag: "auth", public: true, handler: s.login, body: "LoginRequest", response: "LoginResponse"},
		{method: "POST", path: "/auth/logout", summary: "End this session", tag: "auth", handler: s.logout},
		{method: "GET", path: "/me", summary: "The logged-in user, with role and villages", tag: "auth", handler: s.me, response: "User"},

		{method: "GET", path: "/users", summary: "List users", tag: "users", roles: adminOnly, handler: s.listUsers},
		{method: "POST", path: "/users", summary: "Create a user", tag: "users", roles: adminOnly, handler: s.createUser, body: "CreateUser", response: "User"},
		{method: "PATCH", path: "/users/:id", summary: "Change a user's name, role, villages, password, or disable them", tag: "users", roles: adminOnly, handler: s.patchUser, body: "PatchUser", response: "User"},

		{method: "GET", path: "/people", summary: "Names of the people whose records the caller sees, to show authors by name: staff see everyone, a cleaner the staff and their villages' cleaners; login, name and role only", tag: "users", handler: s.listPeople, response: "People"},

		{method: "GET", path: "/villages", summary: "Villages the caller may see", tag: "villages", handler: s.listVillages},
		{method: "GET", path: "/villages/locate", summary: "The village containing lon,lat (404 if none)", tag: "villages", handler: s.locateVillage},
		{method: "POST", path: "/villages/import", summary: "Import village boundaries from GeoJSON or KML; all or nothing", tag: "villages", roles: adminOnly, handler: s.importVillages},
		{method: "GET", path: "/villages/:code", summary: "One village with its boundary as GeoJSON", tag: "villages", handler: s.getVillage, response: "VillageDetail"},

		{method: "GET", path: "/villages/:code/features", summary: "The village's features as GeoJSON (?kind=&status=&flag=, comma lists)", tag: "map", handler: s.villageFeatureCollection, response: "FeatureCollection"},
		{method: "GET", path: "/villages/:code/labels", summary: "Printable A4 page of QR labels (3×8) of the village's features (?kind=, comma list; ?feature= for one), each QR leading to /f/{code}", tag: "map", roles: staffWriters, handler: s.villageLabels},
		{method: "GET", path: "/villages/:code/households/checks", summary: "Households with two housing-reform records (一户一宅) or two renovated toilets (一户一厕): records naming the same household, or the same head's name where not all name one; staff only (names)", tag: "map", roles: staffWriters, handler: s.householdChecks, response: "HouseholdChecks"},
		{method: "GET", path: "/households/:id", summary: "A household's file (一户一档): the household, its linked toilet, housing reform and demolished old house with each stage's who and when, every photo in time order, its 一户一宅/一户一厕 checks; names and phones for inspectors and admins only", tag: "features", handler: s.householdFile, response: "HouseholdFile"},
		{method: "GET", path: "/villages/:code/coverage", summary: "Households farther than radius (default 300 m) from every collection facility, and the coverage ratio", tag: "map", handler: s.villageCoverage},
		{method: "GET", path: "/villages/:code/stats", summary: "Area, counts per kind, status and flag, bins per 100 households", tag: "map", handler: s.getVillageStats},
		{method: "GET", path: "/coverage", summary: "Coverage of every village the caller may read (?radius=)", tag: "map", handler: s.allCoverage},
		{method: "GET", path: "/features", summary: "Features in a map viewport (?bbox=minLon,minLat,maxLon,maxLat&kind=&code=&limit=); grid clusters past the limit; ?code= alone finds the feature with that label code", tag: "map", handler: s.viewport, response: "FeatureCollection"},
		{method: "GET", path: "/features/near", summary: "Nearest features (?lon=&lat=&kind=&limit=&maxDistance=), each with distance_m", tag: "map", handler: s.nearest, response: "FeatureCollection"},
		{method: "PUT", path: "/features/:id", summary: "Create (no baseVersion) or update (baseVersion = the version edited) a feature; idempotent by opId", tag: "features", handler: s.putFeature, body: "FeatureWrite", response: "Feature"},
		{method: "GET", path: "/features/:id", summary: "One feature", tag: "features", handler: s.getFeature, response: "Feature"},
		{method: "DELETE", path: "/features/:id", summary: "Soft-delete a feature (?opId=): admins any, inspectors what they recorded themselves in the last 24 hours; an admin restores it", tag: "features", roles: staffWriters, handler: s.deleteFeature, response: "Feature"},
		{method: "POST", path: "/features/:id/restore", summary: "Restore a deleted feature (?opId=); 409 when it is not deleted", tag: "features", roles: adminOnly, handler: s.restoreFeature, response: "Feature"},
		{method: "POST", path: "/features/:id/events", summary: "Record an event on a feature; one that sets a status or stage changes the feature", tag: "features", handler: s.postEvent, body: "EventWrite", response: "Feature"},
		{method: "GET", path: "/features/:id/events", summary: "A feature's full event history", tag: "features", handler: s.listEvents},
		{method: "POST", path: "/sync", summary: "A batch of up to 500 ops (putFeature, addEvent, deleteFeature); one result per op", tag: "sync", handler: s.sync, body: "SyncRequest", response: "SyncResponse"},
		{method: "GET", path: "/changes", summary: "Features of a village changed after a cursor (?village=&since=&limit=), oldest first", tag: "sync", handler: s.changes},
		{method: "GET", path: "/audit/log", summary: "Recorded acts other than feature writes, such as exports, newest first (?limit=)", tag: "features", roles: adminOnly, handler: s.auditLog},
		{method: "GET", path: "/audit", summary: "Who changed a feature, when, from which op, and what (?feature=)", tag: "features", roles: adminOnly, handler: s.audit},
		{method: "PUT", path: "/photos/:id", summary: "Upload a JPEG, PNG or WebP photo (raw body, up to 8 MB); idempotent", tag: "photos", handler: s.putPhoto},
		{method: "GET", path: "/photos/:id", summary: "A photo's bytes (?size=thumb for ~320 px)", tag: "photos", handler: s.getPhoto},

		{method: "GET", path: "/export/features.geojson", summary: "Download features as a GeoJSON FeatureCollection (?village=&kind=); streamed", tag: "export", handler: s.exportGeoJSON},
		{method: "GET", path: "/export/features.csv", summary: "Download features as CSV with Chinese headers, UTF-8 with BOM (?village=&kind=); streamed", tag: "export", handler: s.exportCSV},
		{method: "GET", path: "/export/features.kml", summary: "Download features as KML, a folder per village with its boundary (?village=&kind=); streamed", tag: "export", handler: s.exportKML},
		{method: "GET", path: "/export/features.xlsx", summary: "Download features as an Excel workbook, a sheet per kind (?village=&kind=); streamed", tag: "export", handler: s.exportXLSX},

		{method: "GET", path: "/kinds", summary: "What each kind records: attributes with their types, defaults and who may change them, event types, settled stages; the Chinese and English labels of kinds, attributes, values and event types", tag: "meta", handler: s.kinds},
		{method: "GET", path: "/config", summary: "Settings the web app needs: the map tile source", tag: "meta", handler: s.config},
		{method: "GET", path: "/openapi.json", summary: "This document", tag: "meta", handler: s.openAPI},
	}
	// The office's workbench (issue 16).
	routes = append(routes,
		route{method: "GET", path: "/assessments/:month/redblack", summary: "The month's red and black list (红黑榜): the best and worst villages by score (?red=3&black=3), each with its reasons in Chinese", tag: "assessment", roles: staffWriters, handler: s.getRedBlack, response: "RedBlack"},
		route{method: "GET", path: "/assessments/:month/notice.docx", summary: "The monthly notice (月度考评通报) as a Word document: ranking, red and black list with reasons, rectification, requirements for next month", tag: "assessment", roles: staffWriters, handler: s.getNoticeDocx},
		route{method: "GET", path: "/assessments/:month/notice.html", summary: "The monthly notice as a printable A4 page", tag: "assessment", roles: staffWriters, handler: s.getNoticeHTML},
		route{method: "GET", path: "/assessments/:month/requirements", summary: "The notice's requirements for next month (the default until the office writes one)", tag: "assessment", roles: staffWriters, handler: s.getRequirements},
		route{method: "PUT", path: "/assessments/:month/requirements", summary: "Set the notice's requirements for next month (at most 2,000 characters; empty: the default)", tag: "assessment", roles: adminOnly, handler: s.putRequirements, body: "Requirements"},
		route{method: "GET", path: "/overview", summary: "The town at a glance for a month (?month=YYYY-MM): per village facilities by state, works by stage, coverage, score, rank and problems; town totals; ops phones reported unsent", tag: "reports", roles: staffWriters, handler: s.overview, response: "Overview"},
	)
	routes = append(routes, s.assessmentRoutes()...)
	return append(routes, s.backupRoutes()...)
}
