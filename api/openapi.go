package api

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns "/features/:id" into "/api/v1/features/{id}".
func openAPIPath(p string) string {
	return "/api/v1" + fiberParam.ReplaceAllString(p, "{$1}")
}

// OpenAPI builds the OpenAPI 3 document from the route table, so it cannot
// drift from what is served.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, r := range s.routes {
		p := openAPIPath(r.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     r.summary,
			"tags":        []string{r.tag},
			"operationId": strings.ToLower(r.method) + strings.NewReplacer("/", "_", ":", "", "-", "_", ".", "_").Replace(r.path),
			"responses":   responses(r),
		}
		var params []map[string]any
		for _, m := range fiberParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.public {
			op["security"] = []any{}
		}
		if len(r.roles) > 0 {
			roles := make([]string, len(r.roles))
			for i, ro := range r.roles {
				roles[i] = string(ro)
			}
			op["x-roles"] = roles
		}
		if r.body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/" + r.body}}}}
		}
		item[strings.ToLower(r.method)] = op
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		paths[p] = map[string]any{"get": map[string]any{"summary": "Liveness or readiness", "security": []any{}, "responses": map[string]any{"200": map[string]any{"description": "OK"}}}}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Cunjie (村洁) API", "version": "1",
			"description": "Field data for rural sanitation. Errors are {\"error\":{\"code\",\"message\",\"fields\"}}. Coordinates are WGS-84, [lon, lat]."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]string{"type": "http", "scheme": "bearer"}},
			"schemas":         schemas,
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
}

func responses(r route) map[string]any {
	ok := map[string]any{"description": "OK"}
	if r.response != "" {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/" + r.response}}}
	}
	errRef := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/Error"}}}}
	out := map[string]any{"200": ok, "400": errRef, "500": errRef}
	if !r.public {
		out["401"] = errRef
	}
	if r.roles != nil {
		out["403"] = errRef
	}
	return out
}

func (s *Server) openAPI(c *fiber.Ctx) error { return c.JSON(s.OpenAPI()) }

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

var (
	str    = map[string]string{"type": "string"}
	num    = map[string]string{"type": "number"}
	boolT  = map[string]string{"type": "boolean"}
	strArr = map[string]any{"type": "array", "items": str}
	role   = map[string]any{"type": "string", "enum": []string{"admin", "inspector", "cleaner"}}
	kindT  = map[string]any{"type": "string", "enum": cunjie.Kinds()}
)

func ref(name string) map[string]string {
	return map[string]string{"$ref": "#/components/schemas/" + name}
}

var schemas = map[string]any{
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code":    map[string]any{"type": "string", "enum": []string{"invalid", "unauthorized", "forbidden", "not_found", "timeout", "conflict", "too_large", "rate_limited", "busy", "internal"}},
		"message": str, "fields": map[string]any{"type": "object", "additionalProperties": str}, "requestId": str, "current": map[string]any{"type": "object"}, "base": map[string]any{"type": "object", "description": "on a feature version conflict: {version, attrs} at the version edited"},
	}, "code", "message")}, "error"),
	"LoginRequest":  obj(map[string]any{"username": str, "password": str}, "username", "password"),
	"LoginResponse": obj(map[string]any{"token": str, "user": map[string]string{"$ref": "#/components/schemas/User"}}),
	"User": obj(map[string]any{"id": str, "username": str, "name": str, "role": role, "villages": strArr, "disabled": boolT,
		// In GET /users and /me: what the server last heard from the user.
		"lastSeenAt": str, "lastSyncAt": str, "appVersion": str, "pendingOps": num, "rejectedOps": num,
		"devices": map[string]any{"type": "array", "items": obj(map[string]any{"device": str, "lastSyncAt": str, "appVersion": str,
			"opsSent": num, "pendingOps": num, "rejectedOps": num})}}),
	"People":     obj(map[string]any{"people": map[string]any{"type": "array", "items": obj(map[string]any{"username": str, "name": str, "role": role})}}),
	"CreateUser": obj(map[string]any{"username": str, "password": str, "name": str, "role": role, "villages": strArr}, "username", "password", "role"),
	"PatchUser":  obj(map[string]any{"name": str, "password": str, "role": role, "villages": strArr, "disabled": boolT}),
	"Location":   obj(map[string]any{"lon": num, "lat": num, "accuracy": num}, "lon", "lat"),
	"FeatureWrite": obj(map[string]any{"opId": str, "kind": kindT, "location": ref("Location"),
		"attrs": map[string]any{"type": "object", "description": "On an update, an attribute left out keeps its stored value and one sent as null (or blank) is cleared. " +
			"Who may change what (GET /kinds): household heads, owners and subsidies are staff's; a settled record (accepted, completed, demolished) " +
			"has its settled fields changed by staff only, with a reason; a stage goes back only by staff, with a reason. Refused: 403 naming attrs.<name>."},
		"reason":      map[string]any{"type": "string", "maxLength": 500, "description": "why a settled record changes or a stage goes back; kept as a corrected event"},
		"photos":      map[string]any{"type": "array", "items": str, "description": "photos the writer uploaded, or of the feature's village; staff may name any"},
		"baseVersion": map[string]string{"type": "integer"}, "village": str}, "opId", "kind", "location"),
	"Feature": obj(map[string]any{"id": str, "village": str, "kind": kindT, "location": ref("Location"), "attrs": map[string]any{"type": "object"},
		"photos": strArr, "flags": obj(map[string]any{"lowAccuracy": boolT, "outsideVillage": boolT, "possibleDuplicate": str, "photosPending": strArr}),
		"version": map[string]string{"type": "integer"}, "seq": map[string]string{"type": "integer"}, "deleted": boolT,
		"createdBy": str, "createdAt": str, "updatedBy": str, "updatedAt": str, "events": map[string]any{"type": "array", "items": ref("Event")}}),
	"EventWrite": obj(map[string]any{"opId": str, "id": str, "type": str, "at": map[string]string{"type": "string", "format": "date-time"},
		"location": ref("Location"), "note": str, "photos": strArr, "status": str}, "opId", "id", "type", "at"),
	"Event": obj(map[string]any{"id": str, "feature": str, "type": str, "at": str, "location": ref("Location"), "note": str, "photos": strArr, "status": str, "by": str}),
	"SyncRequest": obj(map[string]any{"ops": map[string]any{"type": "array", "maxItems": 500, "items": obj(map[string]any{
		"type": map[string]any{"type": "string", "enum": []string{"putFeature", "addEvent", "deleteFeature"}},
		"id":   str, "opId": str, "feature": ref("FeatureWrite"), "event": ref("EventWrite")})},
		// The phone's report of itself (optional): GET /users and /me show it.
		"device": map[string]any{"type": "string", "maxLength": 64}, "appVersion": map[string]any{"type": "string", "maxLength": 40},
		"pendingOps":  map[string]any{"type": "integer", "minimum": 0, "maximum": 1000000, "description": "ops still in the phone's outbox besides this batch"},
		"rejectedOps": map[string]any{"type": "integer", "minimum": 0, "maximum": 1000000, "description": "ops put aside on the phone (conflict or rejected)"}}),
	"SyncResponse": obj(map[string]any{"results": map[string]any{"type": "array", "items": obj(map[string]any{
		"opId": str, "result": map[string]any{"type": "string", "enum": []string{"applied", "duplicate", "conflict", "rejected"}},
		"feature": ref("Feature"), "inspection": ref("Inspection"), "error": map[string]any{"type": "object"}})}}),
	"FeatureCollection": obj(map[string]any{"type": str, "features": map[string]any{"type": "array", "items": obj(map[string]any{
		"type": str, "id": str, "geometry": map[string]any{"type": "object"}, "properties": map[string]any{"type": "object"}})}}),
	"HouseholdCheck": obj(map[string]any{"rule": map[string]any{"type": "string", "enum": []string{cunjie.RuleOneHomestead, cunjie.RuleOneToilet}},
		"basis": map[string]any{"type": "string", "enum": []string{"household", "head"}}, "household": str, "householdHead": str, "features": strArr, "codes": strArr}),
	"HouseholdChecks": obj(map[string]any{"village": str, "checks": map[string]any{"type": "array", "items": ref("HouseholdCheck")}}),
	"FileStep":        obj(map[string]any{"stage": str, "photo": str, "feature": str, "kind": kindT, "event": str, "note": str, "by": str, "byName": str, "at": str}),
	"HouseholdFile": obj(map[string]any{"household": ref("Feature"),
		"records": map[string]any{"type": "array", "items": obj(map[string]any{"feature": ref("Feature"), "stages": map[string]any{"type": "array", "items": ref("FileStep")}})},
		"photos":  map[string]any{"type": "array", "items": ref("FileStep"), "description": "every photo of the household and its records, oldest first"},
		"checks":  map[string]any{"type": "array", "items": ref("HouseholdCheck")}}),
	"VillageDetail": obj(map[string]any{"code": str, "name": str, "town": str, "areaKm2": num, "boundary": map[string]any{"type": "object", "description": "GeoJSON Polygon or MultiPolygon"}}),

	// The monthly assessment (api/assessments.go) and the reports (api/reports.go).
	"TemplateItem": obj(map[string]any{"id": str, "description": str, "maxPoints": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}}, "id", "description", "maxPoints"),
	"TemplateWrite": obj(map[string]any{"id": str, "name": str, "items": map[string]any{"type": "array", "items": ref("TemplateItem"), "description": "maxPoints add up to 100"},
		"baseVersion": map[string]any{"type": "integer", "description": "PUT: the version changed"}}, "name", "items"),
	"Template": obj(map[string]any{"id": str, "version": map[string]string{"type": "integer"}, "name": str, "items": map[string]any{"type": "array", "items": ref("TemplateItem")},
		"total": map[string]string{"type": "integer"}, "createdBy": str, "createdAt": str}),
	"InspectionWrite": obj(map[string]any{"opId": str, "village": str, "month": map[string]any{"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
		"template": str, "templateVersion": map[string]string{"type": "integer"},
		"scores": map[string]any{"type": "array", "items": obj(map[string]any{"item": str, "points": num, "note": str}, "item", "points")},
		"problems": map[string]any{"type": "array", "items": obj(map[string]any{"id": str, "location": ref("Location"), "description": str, "photos": strArr,
			"deadline": map[string]string{"type": "string", "format": "date"}}, "id", "location", "description")},
		"at": map[string]string{"type": "string", "format": "date-time"}, "baseVersion": map[string]string{"type": "integer"}},
		"opId", "village", "month", "template", "templateVersion", "scores", "at"),
	"Inspection": obj(map[string]any{"id": str, "village": str, "month": str, "template": str, "templateVersion": map[string]string{"type": "integer"},
		"scores": map[string]any{"type": "array", "items": obj(map[string]any{"item": str, "points": num, "note": str})}, "total": num,
		"problems": map[string]any{"type": "array", "items": ref("Problem")}, "at": str, "version": map[string]string{"type": "integer"},
		"createdBy": str, "createdAt": str, "updatedBy": str, "updatedAt": str}),
	"Problem": obj(map[string]any{"id": str, "inspection": str, "village": str, "month": str, "location": ref("Location"), "description": str, "photos": strArr,
		"deadline": map[string]string{"type": "string", "format": "date"}, "status": map[string]any{"type": "string", "enum": []string{"open", "rectified", "verified"}},
		"overdue": boolT, "version": map[string]string{"type": "integer"}, "createdBy": str, "createdAt": str, "updatedAt": str,
		"history": map[string]any{"type": "array", "items": obj(map[string]any{"action": map[string]any{"type": "string", "enum": []string{"created", "rectified", "verified", "reopened"}},
			"by": str, "at": str, "note": str, "photos": strArr, "deadline": str, "op": str})}}),
	"RectifyWrite": obj(map[string]any{"opId": str, "note": str, "photos": map[string]any{"type": "array", "items": str, "minItems": 1},
		"at": map[string]string{"type": "string", "format": "date-time"}}, "opId", "photos"),
	"VerifyWrite": obj(map[string]any{"opId": str, "accept": boolT, "note": str, "at": map[string]string{"type": "string", "format": "date-time"},
		"deadline": map[string]string{"type": "string", "format": "date"}}, "opId", "accept"),
	"Ranking": obj(map[string]any{"month": str, "closed": boolT, "closedAt": str, "closedBy": str, "average": num,
		"villages": map[string]any{"type": "array", "items": obj(map[string]any{"rank": map[string]string{"type": "integer"}, "village": str, "name": str,
			"score": num, "inspections": map[string]string{"type": "integer"}, "previousScore": num, "change": num,
			"openProblems": map[string]string{"type": "integer"}, "overdueProblems": map[string]string{"type": "integer"}, "rectifiedProblems": map[string]string{"type": "integer"}})}}),
	"Requirements": obj(map[string]any{"requirements": map[string]any{"type": "string", "maxLength": 2000}}, "requirements"),
	"RedBlack":     obj(map[string]any{"month": str, "closed": boolT, "red": map[string]any{"type": "array", "items": ref("Listed")}, "black": map[string]any{"type": "array", "items": ref("Listed")}}),
	"Listed":       obj(map[string]any{"rank": num, "village": str, "name": str, "score": num, "reasons": strArr}),
	"Overview": obj(map[string]any{"month": str, "pendingOps": num, "rejectedOps": num,
		"villages": map[string]any{"type": "array", "items": ref("OverviewVillage")}, "totals": ref("OverviewVillage")}),
	"OverviewVillage": obj(map[string]any{"village": str, "name": str, "households": num, "covered": num, "coveragePercent": num,
		"score": num, "rank": num, "openProblems": num, "overdueProblems": num, "rectifiedProblems": num,
		"figures": map[string]any{"type": "object", "description": "bins, garbagePools, collectionPoints: {total, full, overflowing, damaged}; householdToilets, housingReform, demolitions: counts by stage"},
		"today":   obj(map[string]any{"newFeatures": num, "events": num, "problemsOpened": num, "problemsRectified": num})}),
	"Trend": obj(map[string]any{"months": strArr, "average": map[string]any{"type": "array", "items": num},
		"villages": map[string]any{"type": "array", "items": obj(map[string]any{"village": str, "name": str,
			"scores": map[string]any{"type": "array", "items": num}, "inspections": map[string]any{"type": "array", "items": map[string]string{"type": "integer"}}})}}),
	"Summary": obj(map[string]any{"from": str, "to": str, "town": str, "figures": map[string]any{"type": "object"},
		"villages":  map[string]any{"type": "array", "items": obj(map[string]any{"village": str, "name": str, "figures": map[string]any{"type": "object"}})},
		"paragraph": str, "coverageRadius_m": num, "generatedAt": str}),
}
