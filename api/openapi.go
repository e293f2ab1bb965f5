package api

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
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
	kindT  = map[string]any{"type": "string", "enum": []string{"bin", "garbage_pool", "collection_point", "transfer_station", "public_toilet", "household_toilet", "demolition", "housing_reform"}}
)

func ref(name string) map[string]string {
	return map[string]string{"$ref": "#/components/schemas/" + name}
}

var schemas = map[string]any{
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code":    map[string]any{"type": "string", "enum": []string{"invalid", "unauthorized", "forbidden", "not_found", "conflict", "too_large", "rate_limited", "internal"}},
		"message": str, "fields": map[string]any{"type": "object", "additionalProperties": str}, "requestId": str, "current": map[string]any{"type": "object"},
	}, "code", "message")}, "error"),
	"LoginRequest":  obj(map[string]any{"username": str, "password": str}, "username", "password"),
	"LoginResponse": obj(map[string]any{"token": str, "user": map[string]string{"$ref": "#/components/schemas/User"}}),
	"User":          obj(map[string]any{"id": str, "username": str, "name": str, "role": role, "villages": strArr, "disabled": boolT}),
	"CreateUser":    obj(map[string]any{"username": str, "password": str, "name": str, "role": role, "villages": strArr}, "username", "password", "role"),
	"PatchUser":     obj(map[string]any{"name": str, "password": str, "role": role, "villages": strArr, "disabled": boolT}),
	"Location":      obj(map[string]any{"lon": num, "lat": num, "accuracy": num}, "lon", "lat"),
	"FeatureWrite": obj(map[string]any{"opId": str, "kind": kindT, "location": ref("Location"), "attrs": map[string]any{"type": "object"},
		"photos": strArr, "baseVersion": map[string]string{"type": "integer"}, "village": str}, "opId", "kind", "location"),
	"Feature": obj(map[string]any{"id": str, "village": str, "kind": kindT, "location": ref("Location"), "attrs": map[string]any{"type": "object"},
		"photos": strArr, "flags": obj(map[string]any{"lowAccuracy": boolT, "outsideVillage": boolT, "possibleDuplicate": str, "photosPending": strArr}),
		"version": map[string]string{"type": "integer"}, "seq": map[string]string{"type": "integer"}, "deleted": boolT,
		"createdBy": str, "createdAt": str, "updatedBy": str, "updatedAt": str, "events": map[string]any{"type": "array", "items": ref("Event")}}),
	"EventWrite": obj(map[string]any{"opId": str, "id": str, "type": str, "at": map[string]string{"type": "string", "format": "date-time"},
		"location": ref("Location"), "note": str, "photos": strArr, "status": str}, "opId", "id", "type", "at"),
	"Event": obj(map[string]any{"id": str, "feature": str, "type": str, "at": str, "location": ref("Location"), "note": str, "photos": strArr, "status": str, "by": str}),
	"SyncRequest": obj(map[string]any{"ops": map[string]any{"type": "array", "maxItems": 500, "items": obj(map[string]any{
		"type": map[string]any{"type": "string", "enum": []string{"putFeature", "addEvent", "deleteFeature"}},
		"id":   str, "opId": str, "feature": ref("FeatureWrite"), "event": ref("EventWrite")})}}),
	"SyncResponse": obj(map[string]any{"results": map[string]any{"type": "array", "items": obj(map[string]any{
		"opId": str, "result": map[string]any{"type": "string", "enum": []string{"applied", "duplicate", "conflict", "rejected"}},
		"feature": ref("Feature"), "error": map[string]any{"type": "object"}})}}),
	"FeatureCollection": obj(map[string]any{"type": str, "features": map[string]any{"type": "array", "items": obj(map[string]any{
		"type": str, "id": str, "geometry": map[string]any{"type": "object"}, "properties": map[string]any{"type": "object"}})}}),
	"VillageDetail": obj(map[string]any{"code": str, "name": str, "town": str, "areaKm2": num, "boundary": map[string]any{"type": "object", "description": "GeoJSON Polygon or MultiPolygon"}}),
}
