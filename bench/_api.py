"""A client of the gateway and what the HTTP benchmarks set up through it:
an approved agency and an open point declaring DOPA-ID-NEW."""
import time

from bench.common import BENCH_ADMIN
from bench._loadgen import SERVICE_CODE

AGENCY = {"name_th": "สำนักงานทะเบียนอำเภอเมืองเชียงใหม่ (ทดสอบสมรรถนะ)",
          "name_en": "Mueang Chiang Mai Registration Office (benchmark)",
          "ministry": "กระทรวงมหาดไทย", "contact_email": "bench-feedback@example.go.th",
          "username": "bench-feedback-officer", "password": "bench feedback password 2569"}
POINT = {"name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
         "name_en": "Mueang Chiang Mai District Office",
         "address": "ถนนช้างเผือก ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่",
         "province_code": "50", "location": {"lat": 18.7953, "lon": 98.9862},
         "opening_hours": "จ.-ศ. 08:30-16:30", "phone": "053-112-345"}
SERVICES = {"services": [{"service_code": SERVICE_CODE, "documents": [
    {"name_th": "สูติบัตร", "name_en": "Birth certificate", "government_issued": True,
     "copy_required": False},
    {"name_th": "รูปถ่าย", "government_issued": False, "copy_required": True,
     "copy_reason": "ใช้ติดแฟ้ม", "copy_planned_end_date": "2027-06-30"}]}]}


class Api:
    def __init__(self, base):
        import requests
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method, path, expect, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        response = self.session.request(method, self.base + path, headers=headers, timeout=60,
                                        **kwargs)
        if response.status_code != expect:
            raise RuntimeError("{} {} answered {} (expected {}): {}".format(
                method, path, response.status_code, expect, response.text[:500]))
        return response

    def token(self, username, password):
        return self.call("POST", "/api/v1/auth/token", 200,
                         json={"username": username, "password": password}).json()["access_token"]


def set_up_point(api):
    """An approved agency and an open point declaring DOPA-ID-NEW, over HTTP."""
    deadline = time.monotonic() + 60
    while True:
        try:
            admin = api.token(**BENCH_ADMIN)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # green when the caller is patched
    agency = api.call("POST", "/api/v1/agencies", 201, json=AGENCY).json()["agency"]
    api.call("POST", "/api/v1/admin/agencies/{}/approve".format(agency["id"]), 200, token=admin)
    officer = api.token(AGENCY["username"], AGENCY["password"])
    point = api.call("POST", "/api/v1/service-points", 201, json=POINT, token=officer).json()
    api.call("PUT", "/api/v1/service-points/{}/services".format(point["id"]), 200,
             json=SERVICES, token=officer)
    return point["id"]

